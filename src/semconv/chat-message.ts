/**
 * The OpenAI chat-completions message format: what the `llm_calls` view holds, whatever convention
 * the span came in. Only the shapes OpenAI's request format defines, plus the two optional fields
 * documented as extensions below.
 */

/** A JSON value, as it can be stored in DuckDB's JSON columns. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A tool call requested by the model. */
export interface ChatToolCall {
  /** The provider's call id; `''` when the source did not record one. */
  id: string;
  type: 'function';
  function: {
    name: string;
    /** The arguments as a JSON string (objects are serialised). */
    arguments: string;
  };
}

/** A text part of a message's content. */
export interface ChatTextPart {
  type: 'text';
  text: string;
}

/** An image part: a URL, or a `data:` URL holding the bytes in base64. */
export interface ChatImagePart {
  type: 'image_url';
  image_url: { url: string };
}

/** An audio part, base64 data with its format (`wav`, `mp3`…). */
export interface ChatAudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: string };
}

/** A file part. */
export interface ChatFilePart {
  type: 'file';
  file: {
    /** A provider file id. */
    file_id?: string;
    /** The file's bytes as a `data:` URL. */
    file_data?: string;
    filename?: string;
    /** Extension: a remote file reference (not an image) that OpenAI's format cannot express otherwise. */
    url?: string;
  };
}

/** One part of a multi-part message content. */
export type ChatContentPart = ChatTextPart | ChatImagePart | ChatAudioPart | ChatFilePart;

/** One message in OpenAI chat-completions format. */
export interface ChatMessage {
  /** `system`, `developer`, `user`, `assistant` or `tool` (other roles are passed through as given). */
  role: string;
  /**
   * A string when the message is text only (one text part), `null` when it has no content (an
   * assistant message that only calls tools), otherwise a list of parts.
   */
  content: string | null | ChatContentPart[];
  /** The participant's name, when the source gave one. */
  name?: string;
  /** Tool calls of an assistant message. */
  tool_calls?: ChatToolCall[];
  /** The call a `tool` message answers. */
  tool_call_id?: string;
  /**
   * Extension (as vLLM and DeepSeek name it): the model's reasoning text, when the source recorded
   * reasoning parts apart from the answer.
   */
  reasoning_content?: string;
}

/** A tool offered to the model, in OpenAI's request format. */
export interface ChatToolDefinition {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** JSON Schema of the arguments. */
    parameters?: JsonValue;
  };
}
