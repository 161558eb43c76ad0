import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Structural checks of the deployment files (otel-config.yaml, docker-compose.yml, Dockerfile,
 * the README's port table). Each returns the problems it found, an empty list when none, so that
 * the tests can show every check failing on a broken copy as well as passing on the real files.
 */

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown): Mapping {
  return isMapping(value) ? value : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Component types this configuration may use (core and contrib names). */
const KNOWN_COMPONENT_TYPES: Record<'receivers' | 'processors' | 'exporters', Set<string>> = {
  receivers: new Set(['otlp']),
  processors: new Set(['memory_limiter', 'batch']),
  exporters: new Set(['otlp', 'otlphttp', 'debug']),
};

const SECTIONS = ['receivers', 'processors', 'exporters'] as const;

/** Every pipeline names only defined components of known types; memory_limiter comes first. */
export function checkPipelines(otel: unknown): string[] {
  const problems: string[] = [];
  const config = mapping(otel);
  for (const section of SECTIONS) {
    for (const name of Object.keys(mapping(config[section]))) {
      const type = name.split('/')[0];
      if (!KNOWN_COMPONENT_TYPES[section].has(type)) problems.push(`${section}.${name}: unknown component type \`${type}\``);
    }
  }
  const pipelines = mapping(mapping(config.service).pipelines);
  if (Object.keys(pipelines).length === 0) problems.push('service.pipelines: no pipeline');
  for (const [pipelineName, pipelineValue] of Object.entries(pipelines)) {
    const pipeline = mapping(pipelineValue);
    for (const section of SECTIONS) {
      const names = strings(pipeline[section]);
      if (section !== 'processors' && names.length === 0) problems.push(`pipeline ${pipelineName}: no ${section}`);
      const defined = mapping(config[section]);
      for (const name of names) if (!(name in defined)) problems.push(`pipeline ${pipelineName}: ${section.slice(0, -1)} \`${name}\` is not defined under \`${section}\``);
    }
    const processors = strings(pipeline.processors);
    if (processors.includes('memory_limiter') && processors[0] !== 'memory_limiter') problems.push(`pipeline ${pipelineName}: memory_limiter must be the first processor`);
  }
  return problems;
}

/** The components a pipeline of the config uses (by section). */
function usedComponents(otel: unknown, section: (typeof SECTIONS)[number]): string[] {
  const pipelines = mapping(mapping(mapping(otel).service).pipelines);
  return [...new Set(Object.values(pipelines).flatMap((pipeline) => strings(mapping(pipeline)[section])))];
}

/** One published port of a compose service. */
export interface PublishedPort {
  service: string;
  host: number;
  container: number;
}

function services(compose: unknown): Mapping {
  return mapping(mapping(compose).services);
}

/** Parses compose's short port syntax ("HOST:CONTAINER", "IP:HOST:CONTAINER", "CONTAINER") and the long one. */
function parsePort(entry: unknown): { host: number | null; container: number } | null {
  if (isMapping(entry)) {
    const container = Number(entry.target);
    return Number.isInteger(container) ? { host: entry.published === undefined ? null : Number(entry.published), container } : null;
  }
  const parts = String(entry).replace(/\/(tcp|udp)$/, '').split(':');
  const container = Number(parts[parts.length - 1]);
  if (!Number.isInteger(container)) return null;
  return { host: parts.length >= 2 ? Number(parts[parts.length - 2]) : null, container };
}

/** The ports each service publishes on the host. */
export function publishedPorts(compose: unknown): PublishedPort[] {
  const result: PublishedPort[] = [];
  for (const [service, value] of Object.entries(services(compose))) {
    for (const entry of Array.isArray(mapping(value).ports) ? (mapping(value).ports as unknown[]) : []) {
      const port = parsePort(entry);
      if (port?.host != null) result.push({ service, host: port.host, container: port.container });
    }
  }
  return result;
}

/** The container ports a service listens on, as declared by its `ports` and `expose`. */
export function listenPorts(compose: unknown, service: string): Set<number> {
  const definition = mapping(services(compose)[service]);
  const ports = new Set<number>();
  for (const entry of Array.isArray(definition.ports) ? definition.ports : []) {
    const port = parsePort(entry);
    if (port) ports.add(port.container);
  }
  for (const entry of strings(definition.expose)) ports.add(Number(entry));
  return ports;
}

/** `host:port` or `scheme://host:port/...` → host and port (null when missing). */
function parseEndpoint(endpoint: string): { scheme: string | null; host: string; port: number | null } {
  const match = /^(?:([a-z]+):\/\/)?([^:/]+)(?::(\d+))?(?:\/.*)?$/i.exec(endpoint);
  if (!match) return { scheme: null, host: '', port: null };
  return { scheme: match[1] ?? null, host: match[2], port: match[3] === undefined ? null : Number(match[3]) };
}

/**
 * Every exporter used by a pipeline sends to a compose service, on a port that service listens on,
 * with the scheme its protocol needs; the collector's service starts after its targets.
 */
export function checkExporterTargets(otel: unknown, compose: unknown, collectorService: string): string[] {
  const problems: string[] = [];
  const exporters = mapping(mapping(otel).exporters);
  const dependsOn = dependencies(mapping(services(compose)[collectorService]));
  for (const name of usedComponents(otel, 'exporters')) {
    const exporter = mapping(exporters[name]);
    if (typeof exporter.endpoint !== 'string') {
      problems.push(`exporter ${name}: no endpoint`);
      continue;
    }
    const { scheme, host, port } = parseEndpoint(exporter.endpoint);
    const type = name.split('/')[0];
    if (type === 'otlphttp' && scheme !== 'http' && scheme !== 'https') problems.push(`exporter ${name}: an OTLP/HTTP endpoint needs http:// or https://, got \`${exporter.endpoint}\``);
    if (type === 'otlp' && scheme === 'http' && mapping(exporter.tls).insecure !== true) problems.push(`exporter ${name}: plain-text gRPC needs tls.insecure: true`);
    if (type === 'otlp' && scheme === null && mapping(exporter.tls).insecure !== true) problems.push(`exporter ${name}: gRPC to \`${exporter.endpoint}\` without TLS set up needs tls.insecure: true`);
    if (!(host in services(compose))) {
      problems.push(`exporter ${name}: host \`${host}\` is not a service of the compose file`);
      continue;
    }
    if (port === null) problems.push(`exporter ${name}: endpoint \`${exporter.endpoint}\` names no port`);
    else if (!listenPorts(compose, host).has(port)) problems.push(`exporter ${name}: service \`${host}\` does not listen on ${port} (it declares ${[...listenPorts(compose, host)].join(', ') || 'none'})`);
    if (!dependsOn.includes(host)) problems.push(`service ${collectorService}: does not depend_on \`${host}\`, the target of exporter ${name}`);
  }
  return problems;
}

/**
 * Each flag's URL in `command` points at a service of the compose file, on a port it listens on,
 * and the service depends on it.
 */
export function checkCommandUrls(command: string[], flags: readonly string[], compose: unknown, service: string): string[] {
  const problems: string[] = [];
  for (const flag of flags) {
    const index = command.indexOf(flag);
    if (index < 0 || index + 1 >= command.length) {
      problems.push(`service ${service}: no ${flag} URL`);
      continue;
    }
    problems.push(...checkServiceUrl(command[index + 1], flag, compose, service));
  }
  return problems;
}

/** Each named environment variable of the service is set to a URL of another service, as {@link checkCommandUrls} checks flags. */
export function checkEnvironmentUrls(compose: unknown, service: string, names: readonly string[]): string[] {
  const environment = serviceEnvironment(compose, service);
  const problems: string[] = [];
  for (const name of names) {
    const url = environment[name];
    if (url === undefined) problems.push(`service ${service}: no environment variable ${name}`);
    else problems.push(...checkServiceUrl(url, name, compose, service));
  }
  return problems;
}

/** A service's `environment`, in either of compose's forms (mapping, or a list of NAME=value). */
export function serviceEnvironment(compose: unknown, service: string): Record<string, string> {
  const environment = mapping(services(compose)[service]).environment;
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map(String).map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(mapping(environment)).map(([name, value]) => [name, String(value)]));
}

/** `url` (given by `what`) is http(s) to a service of the compose file on a port it listens on, and `service` depends on it. */
function checkServiceUrl(url: string, what: string, compose: unknown, service: string): string[] {
  const problems: string[] = [];
  const { scheme, host, port } = parseEndpoint(url);
  if (scheme !== 'http' && scheme !== 'https') problems.push(`service ${service}: ${what} \`${url}\` needs http:// or https://`);
  if (!(host in services(compose))) return [...problems, `service ${service}: ${what} host \`${host}\` is not a service of the compose file`];
  if (port === null) problems.push(`service ${service}: ${what} \`${url}\` names no port`);
  else if (!listenPorts(compose, host).has(port)) problems.push(`service ${service}: ${what}: service \`${host}\` does not listen on ${port}`);
  if (!dependencies(mapping(services(compose)[service])).includes(host)) problems.push(`service ${service}: does not depend_on \`${host}\`, its ${what}`);
  return problems;
}

/**
 * The files an `agl train` command names exist in the repository (the image's working directory
 * is a copy of it): `--dataset`, `--prompt-file`, `--grader`, and the script of `--command`
 * (its first argument that looks like a path).
 */
export function checkTrainFiles(command: string[], repoRoot: string): string[] {
  const problems: string[] = [];
  const value = (flag: string): string | undefined => {
    const index = command.indexOf(flag);
    return index >= 0 ? command[index + 1] : undefined;
  };
  const files = ['--dataset', '--prompt-file', '--grader'].map((flag) => [flag, value(flag)] as const);
  const script = value('--command')?.split(/\s+/).find((word) => word.includes('/'));
  if (value('--command') !== undefined) files.push(['--command', script]);
  for (const [flag, file] of files) {
    if (file === undefined) continue;
    if (file.startsWith('/')) problems.push(`${flag} \`${file}\` is an absolute path, not a file of the repository`);
    else if (!existsSync(join(repoRoot, file))) problems.push(`${flag} \`${file}\` does not exist in the repository`);
  }
  if (value('--command') !== undefined && script === undefined) problems.push(`--command \`${value('--command')}\` names no script file`);
  return problems;
}

/** The Dockerfile installs `pkg` with apt-get (e.g. python3, which node:20-bookworm-slim lacks). */
export function checkAptInstalls(dockerfile: string, pkg: string): string[] {
  const runs = dockerfile.replace(/\\\n/g, ' ').split('\n').filter((line) => /^\s*RUN\s/i.test(line));
  const installs = runs.some((line) => /\bapt-get\s+install\b/.test(line) && new RegExp(`(\\s|^)${pkg}(\\s|$)`).test(line.split(/&&|;/).find((part) => /apt-get\s+install/.test(part)) ?? ''));
  return installs ? [] : [`the Dockerfile does not apt-get install ${pkg}`];
}

/** Every receiver endpoint used by a pipeline binds all interfaces on a port the collector's service publishes. */
export function checkReceiverPorts(otel: unknown, compose: unknown, collectorService: string): string[] {
  const problems: string[] = [];
  const receivers = mapping(mapping(otel).receivers);
  const published = new Set(publishedPorts(compose).filter((port) => port.service === collectorService).map((port) => port.container));
  for (const name of usedComponents(otel, 'receivers')) {
    const protocols = mapping(mapping(receivers[name]).protocols);
    if (Object.keys(protocols).length === 0) problems.push(`receiver ${name}: no protocols`);
    for (const [protocol, settings] of Object.entries(protocols)) {
      const endpoint = mapping(settings).endpoint;
      if (typeof endpoint !== 'string') {
        problems.push(`receiver ${name}.${protocol}: no explicit endpoint (the default binds localhost only, unreachable from other containers)`);
        continue;
      }
      const { host, port } = parseEndpoint(endpoint);
      if (host !== '0.0.0.0') problems.push(`receiver ${name}.${protocol}: binds \`${host}\`, not 0.0.0.0`);
      if (port === null || !published.has(port)) problems.push(`receiver ${name}.${protocol}: port ${port} is not published by service \`${collectorService}\``);
    }
  }
  return problems;
}

function dependencies(service: Mapping): string[] {
  const dependsOn = service.depends_on;
  return Array.isArray(dependsOn) ? dependsOn.map(String) : Object.keys(mapping(dependsOn));
}

/** depends_on names defined services; no two services publish the same host port. */
export function checkServiceReferences(compose: unknown): string[] {
  const problems: string[] = [];
  const all = services(compose);
  for (const [name, value] of Object.entries(all)) {
    for (const dependency of dependencies(mapping(value))) if (!(dependency in all)) problems.push(`service ${name}: depends_on unknown service \`${dependency}\``);
  }
  const seen = new Map<number, string>();
  for (const port of publishedPorts(compose)) {
    const other = seen.get(port.host);
    if (other !== undefined) problems.push(`host port ${port.host} is published by both \`${other}\` and \`${port.service}\``);
    seen.set(port.host, port.service);
  }
  return problems;
}

/** Parses a volume entry (short "SOURCE:TARGET[:MODE]" or long syntax). */
function parseVolume(entry: unknown): { source: string; target: string } | null {
  if (isMapping(entry)) return typeof entry.target === 'string' ? { source: String(entry.source ?? ''), target: entry.target } : null;
  const parts = String(entry).split(':');
  return parts.length >= 2 ? { source: parts[0], target: parts[1] } : { source: '', target: parts[0] };
}

function isBindSource(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

/** Named volumes are declared at the top level; bind-mounted files exist in the repository. */
export function checkVolumes(compose: unknown, repoRoot: string): string[] {
  const problems: string[] = [];
  const declared = mapping(compose).volumes;
  const declaredNames = new Set(Object.keys(mapping(declared)));
  for (const [name, value] of Object.entries(services(compose))) {
    for (const entry of Array.isArray(mapping(value).volumes) ? (mapping(value).volumes as unknown[]) : []) {
      const volume = parseVolume(entry);
      if (!volume || volume.source === '') continue; // an anonymous volume
      if (isBindSource(volume.source)) {
        if (!existsSync(join(repoRoot, volume.source))) problems.push(`service ${name}: bind-mounts \`${volume.source}\`, which does not exist in the repository`);
      } else if (!declaredNames.has(volume.source)) problems.push(`service ${name}: named volume \`${volume.source}\` is not declared under top-level \`volumes\``);
    }
  }
  return problems;
}

/** The `--db` path of a command lies on a named volume mounted into the service. */
export function checkDbOnVolume(command: string[], compose: unknown, service: string): string[] {
  const index = command.indexOf('--db');
  if (index < 0 || index + 1 >= command.length) return [`service ${service}: the command has no --db PATH`];
  const dbPath = command[index + 1];
  const mounts = (mapping(services(compose)[service]).volumes as unknown[] | undefined ?? [])
    .map(parseVolume)
    .filter((volume): volume is { source: string; target: string } => volume !== null && volume.source !== '' && !isBindSource(volume.source));
  const onVolume = mounts.some((mount) => posix.relative(mount.target, dbPath) !== '' && !posix.relative(mount.target, dbPath).startsWith('..'));
  return onVolume ? [] : [`service ${service}: --db ${dbPath} is not on a named volume (mounted: ${mounts.map((mount) => mount.target).join(', ') || 'none'})`];
}

/** The config file given to the OpenTelemetry Collector is the repository's, mounted where --config points. */
export function checkConfigMount(compose: unknown, service: string, configFile: string): string[] {
  const definition = mapping(services(compose)[service]);
  const command = Array.isArray(definition.command) ? definition.command.map(String) : String(definition.command ?? '').split(/\s+/);
  let path: string | undefined;
  command.forEach((argument, i) => {
    if (argument.startsWith('--config=')) path = argument.slice('--config='.length);
    else if (argument === '--config') path = command[i + 1];
  });
  if (path === undefined) return [`service ${service}: no --config in its command`];
  const mounted = (Array.isArray(definition.volumes) ? definition.volumes : []).map(parseVolume).find((volume) => volume?.target === path);
  if (!mounted) return [`service ${service}: --config ${path} is not a mounted file`];
  if (posix.normalize(mounted.source) !== posix.normalize(configFile)) return [`service ${service}: ${path} is mounted from \`${mounted.source}\`, not \`${configFile}\``];
  return [];
}

/** The `--flags` a command's help text lists as options (indented lines starting with the flag, not prose). */
export function helpFlags(help: string): Set<string> {
  return new Set([...help.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((match) => match[1]));
}

/** `node bin/agl.js <subcommand> ...`: the subcommand is as expected and every flag is in its help. */
export function checkAglCommand(command: string[], subcommand: string, help: string): string[] {
  const problems: string[] = [];
  if (command[0] !== 'node' || command[1] !== 'bin/agl.js') problems.push(`command \`${command.join(' ')}\` does not start with \`node bin/agl.js\``);
  if (command[2] !== subcommand) problems.push(`command \`${command.join(' ')}\` is not \`agl ${subcommand}\``);
  const known = helpFlags(help);
  for (const argument of command.slice(3)) {
    const flag = argument.split('=')[0];
    if (flag.startsWith('--') && !known.has(flag)) problems.push(`\`agl ${subcommand}\` has no flag ${flag}`);
  }
  return problems;
}

/** The Dockerfile's last CMD in exec (JSON) form, or null. */
export function dockerfileCmd(dockerfile: string): string[] | null {
  const lines = dockerfile.split('\n').filter((line) => /^\s*CMD\s/i.test(line));
  const last = lines[lines.length - 1];
  if (last === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(last.replace(/^\s*CMD\s+/i, ''));
    return Array.isArray(parsed) ? parsed.map(String) : null;
  } catch {
    return null;
  }
}

/** A Node 20 base image, `npm ci`, and a CMD in exec form. */
export function checkDockerfile(dockerfile: string): string[] {
  const problems: string[] = [];
  const from = /^\s*FROM\s+(\S+)/im.exec(dockerfile)?.[1];
  if (!from || !/^node:20([.-]|$)/.test(from)) problems.push(`FROM ${from ?? '(none)'} is not a node:20 image`);
  if (!/^\s*RUN\s+.*\bnpm ci\b/im.test(dockerfile)) problems.push('no `RUN npm ci`');
  if (!/^\s*COPY\s+package\.json\s+package-lock\.json\s/im.test(dockerfile)) problems.push('package.json and package-lock.json are not copied before npm ci');
  if (dockerfileCmd(dockerfile) === null) problems.push('no CMD in exec (JSON array) form');
  return problems;
}

/**
 * The README's port table (in the section headed `heading`): rows `| host port | service | ... |`.
 * It must list exactly the host ports the compose file publishes, each with the right service.
 */
export function checkReadmePorts(readme: string, heading: string, compose: unknown): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) return [`README has no section \`## ${heading}\``];
  const rest = readme.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const section = end < 0 ? rest : rest.slice(0, end);
  const documented = new Map<number, string>();
  for (const match of section.matchAll(/^\|\s*(\d+)\s*\|\s*`?([\w-]+)`?\s*\|/gm)) documented.set(Number(match[1]), match[2]);
  const problems: string[] = [];
  if (documented.size === 0) problems.push('README section has no port table');
  const published = publishedPorts(compose);
  for (const port of published) {
    const service = documented.get(port.host);
    if (service === undefined) problems.push(`README does not list host port ${port.host} (${port.service})`);
    else if (service !== port.service) problems.push(`README gives host port ${port.host} to \`${service}\`, the compose file to \`${port.service}\``);
  }
  for (const [host, service] of documented) {
    if (!published.some((port) => port.host === host)) problems.push(`README lists host port ${host} (${service}), which the compose file does not publish`);
  }
  return problems;
}
