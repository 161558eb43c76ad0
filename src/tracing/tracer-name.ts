/** The instrumentation scope name of the spans this SDK emits (rollout spans, emitters, operations). */
export const AGL_TRACER_NAME = 'agentlightning';
