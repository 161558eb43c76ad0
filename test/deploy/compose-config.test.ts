import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  checkAglCommand,
  checkAptInstalls,
  checkConfigMount,
  checkCommandUrls,
  checkEnvironmentUrls,
  checkDbOnVolume,
  checkDockerfile,
  checkExporterTargets,
  checkPipelines,
  checkReadmePorts,
  checkReceiverPorts,
  checkServiceReferences,
  checkTrainFiles,
  checkVolumes,
  dockerfileCmd,
  listenPorts,
  publishedPorts,
  serviceEnvironment,
} from './deploy-checks.ts';

/**
 * The deployment files, checked structurally (no Docker engine runs here): otel-config.yaml,
 * docker-compose.yml, the Dockerfile and the README's port table. Each check is shown passing on the
 * real files and failing on a broken copy.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');
const OTEL_TEXT = read('otel-config.yaml');
const COMPOSE_TEXT = read('docker-compose.yml');
const DOCKERFILE = read('Dockerfile');
const README = read('README.md');
const README_HEADING = 'Jaeger and docker compose';

const otel = (): any => parse(OTEL_TEXT);
const compose = (): any => parse(COMPOSE_TEXT);

function aglHelp(subcommand: string): string {
  return execFileSync(process.execPath, [`${ROOT}bin/agl.js`, subcommand, '--help'], { encoding: 'utf8', timeout: 60_000 });
}
const HELP = { serve: aglHelp('serve'), train: aglHelp('train'), simLlm: aglHelp('sim-llm') };

describe('otel-config.yaml', () => {
  it('has one traces pipeline: otlp → memory_limiter, batch → otlp/jaeger and otlphttp/agl', () => {
    const config = otel();
    assert.deepEqual(Object.keys(config.service.pipelines), ['traces']);
    assert.deepEqual(config.service.pipelines.traces, {
      receivers: ['otlp'],
      processors: ['memory_limiter', 'batch'],
      exporters: ['otlp/jaeger', 'otlphttp/agl'],
    });
    assert.equal(config.receivers.otlp.protocols.grpc.endpoint, '0.0.0.0:4317');
    assert.equal(config.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    assert.equal(config.exporters['otlp/jaeger'].endpoint, 'jaeger:4317');
    assert.equal(config.exporters['otlp/jaeger'].tls.insecure, true);
    assert.equal(config.exporters['otlphttp/agl'].endpoint, 'http://agl:4318');
  });

  it('every pipeline names only defined components of known types', () => {
    assert.deepEqual(checkPipelines(otel()), []);
  });

  it('the pipeline check fails on an undefined component, an unknown type, a misplaced memory_limiter', () => {
    const undefinedExporter = otel();
    undefinedExporter.service.pipelines.traces.exporters.push('otlp/zipkin');
    assert.match(checkPipelines(undefinedExporter).join('\n'), /exporter `otlp\/zipkin` is not defined/);
    const undefinedProcessor = otel();
    delete undefinedProcessor.processors.batch;
    assert.match(checkPipelines(undefinedProcessor).join('\n'), /processor `batch` is not defined/);
    const undefinedReceiver = otel();
    undefinedReceiver.service.pipelines.traces.receivers = ['jaeger'];
    assert.match(checkPipelines(undefinedReceiver).join('\n'), /receiver `jaeger` is not defined/);
    const unknownType = otel();
    unknownType.exporters['otlp_http/agl'] = unknownType.exporters['otlphttp/agl'];
    assert.match(checkPipelines(unknownType).join('\n'), /unknown component type `otlp_http`/);
    const order = otel();
    order.service.pipelines.traces.processors = ['batch', 'memory_limiter'];
    assert.match(checkPipelines(order).join('\n'), /memory_limiter must be the first/);
    const noExporters = otel();
    noExporters.service.pipelines.traces.exporters = [];
    assert.match(checkPipelines(noExporters).join('\n'), /no exporters/);
  });
});

describe('otel-config.yaml against docker-compose.yml', () => {
  it('exporters send to compose services, on ports they listen on', () => {
    assert.deepEqual(checkExporterTargets(otel(), compose(), 'otel-collector'), []);
  });

  it('the exporter check fails on an unknown host, a port not listened on, a missing scheme or tls, a missing depends_on', () => {
    const unknownHost = otel();
    unknownHost.exporters['otlp/jaeger'].endpoint = 'jaeger-all-in-one:4317';
    assert.match(checkExporterTargets(unknownHost, compose(), 'otel-collector').join('\n'), /`jaeger-all-in-one` is not a service/);
    const wrongPort = otel();
    wrongPort.exporters['otlphttp/agl'].endpoint = 'http://agl:14318';
    assert.match(checkExporterTargets(wrongPort, compose(), 'otel-collector').join('\n'), /`agl` does not listen on 14318/);
    const jaegerPort = otel();
    jaegerPort.exporters['otlp/jaeger'].endpoint = 'jaeger:14250';
    assert.match(checkExporterTargets(jaegerPort, compose(), 'otel-collector').join('\n'), /`jaeger` does not listen on 14250/);
    const noScheme = otel();
    noScheme.exporters['otlphttp/agl'].endpoint = 'agl:4318';
    assert.match(checkExporterTargets(noScheme, compose(), 'otel-collector').join('\n'), /needs http:\/\//);
    const noTls = otel();
    delete noTls.exporters['otlp/jaeger'].tls;
    assert.match(checkExporterTargets(noTls, compose(), 'otel-collector').join('\n'), /tls.insecure/);
    const noDepends = compose();
    noDepends.services['otel-collector'].depends_on = ['jaeger'];
    assert.match(checkExporterTargets(otel(), noDepends, 'otel-collector').join('\n'), /does not depend_on `agl`/);
  });

  it('receivers bind 0.0.0.0 on ports the collector service publishes', () => {
    assert.deepEqual(checkReceiverPorts(otel(), compose(), 'otel-collector'), []);
  });

  it('the receiver check fails on localhost binding and on an unpublished port', () => {
    const local = otel();
    local.receivers.otlp.protocols.http.endpoint = 'localhost:4318';
    assert.match(checkReceiverPorts(local, compose(), 'otel-collector').join('\n'), /binds `localhost`/);
    const unpublished = compose();
    unpublished.services['otel-collector'].ports = ['4318:4318'];
    assert.match(checkReceiverPorts(otel(), unpublished, 'otel-collector').join('\n'), /grpc: port 4317 is not published/);
  });

  it('the OpenTelemetry Collector is given this repository\'s otel-config.yaml', () => {
    assert.deepEqual(checkConfigMount(compose(), 'otel-collector', './otel-config.yaml'), []);
    const otherFile = compose();
    otherFile.services['otel-collector'].volumes = ['./otel-collector.yaml:/etc/otelcol-contrib/config.yaml:ro'];
    assert.match(checkConfigMount(otherFile, 'otel-collector', './otel-config.yaml').join('\n'), /mounted from `.\/otel-collector.yaml`/);
    const otherPath = compose();
    otherPath.services['otel-collector'].command = ['--config=/etc/otelcol/config.yaml'];
    assert.match(checkConfigMount(otherPath, 'otel-collector', './otel-config.yaml').join('\n'), /is not a mounted file/);
  });
});

describe('docker-compose.yml', () => {
  it('runs Jaeger v2, the OpenTelemetry Collector, agl built from the repository, the simulated model and the trainer', () => {
    const services = compose().services;
    assert.deepEqual(Object.keys(services).sort(), ['agl', 'jaeger', 'otel-collector', 'sim-llm', 'trainer']);
    assert.equal(services['sim-llm'].image, services.agl.image, 'the simulated model runs the image built for agl');
    assert.match(services.jaeger.image, /^jaegertracing\/jaeger:2\.\d+/);
    assert.match(services['otel-collector'].image, /^otel\/opentelemetry-collector(-contrib)?:/);
    assert.equal(services.agl.build, '.');
    assert.equal(services.trainer.image, services.agl.image, 'the trainer runs the image built for agl');
  });

  it('publishes 16686 (Jaeger UI), 4317/4318 (OpenTelemetry Collector) and 14318 (agl, container port 4318)', () => {
    assert.deepEqual(
      publishedPorts(compose()).sort((a, b) => a.host - b.host),
      [
        { service: 'otel-collector', host: 4317, container: 4317 },
        { service: 'otel-collector', host: 4318, container: 4318 },
        { service: 'agl', host: 14318, container: 4318 },
        { service: 'jaeger', host: 16686, container: 16686 },
      ],
    );
  });

  it('depends_on names defined services and no host port is published twice; fails otherwise', () => {
    assert.deepEqual(checkServiceReferences(compose()), []);
    const unknown = compose();
    unknown.services.trainer.depends_on = ['collector'];
    assert.match(checkServiceReferences(unknown).join('\n'), /depends_on unknown service `collector`/);
    const clash = compose();
    clash.services.agl.ports = ['4318:4318'];
    assert.match(checkServiceReferences(clash).join('\n'), /host port 4318 is published by both/);
  });

  it('named volumes are declared and bind-mounted files exist; fails otherwise', () => {
    assert.deepEqual(checkVolumes(compose(), ROOT), []);
    const undeclared = compose();
    delete undeclared.volumes['agl-data'];
    assert.match(checkVolumes(undeclared, ROOT).join('\n'), /named volume `agl-data` is not declared/);
    const missingFile = compose();
    missingFile.services['otel-collector'].volumes = ['./missing.yaml:/etc/otelcol-contrib/config.yaml'];
    assert.match(checkVolumes(missingFile, ROOT).join('\n'), /`.\/missing.yaml`, which does not exist/);
  });

  it('agl keeps its DuckDB file on the named volume; fails otherwise', () => {
    const services = compose().services;
    assert.deepEqual(checkDbOnVolume(services.agl.command, compose(), 'agl'), []);
    assert.match(checkDbOnVolume(['node', 'bin/agl.js', 'serve', '--db', '/app/agl.duckdb'], compose(), 'agl').join('\n'), /not on a named volume/);
    assert.match(checkDbOnVolume(['node', 'bin/agl.js', 'serve'], compose(), 'agl').join('\n'), /no --db/);
  });

  it('the trainer trains against agl (--server) and sends its spans through the OpenTelemetry Collector (--traces-endpoint); fails otherwise', () => {
    const flags = ['--server', '--traces-endpoint'];
    const trainer = compose().services.trainer.command;
    assert.deepEqual(checkCommandUrls(trainer, flags, compose(), 'trainer'), []);
    assert.equal(trainer[trainer.indexOf('--server') + 1], 'http://agl:4318');
    assert.equal(trainer[trainer.indexOf('--traces-endpoint') + 1], 'http://otel-collector:4318');
    const wrongPort = trainer.map((part: string) => (part === 'http://agl:4318' ? 'http://agl:4000' : part));
    assert.match(checkCommandUrls(wrongPort, flags, compose(), 'trainer').join('\n'), /service `agl` does not listen on 4000/);
    const unknownHost = trainer.map((part: string) => (part === 'http://otel-collector:4318' ? 'http://otelcol:4318' : part));
    assert.match(checkCommandUrls(unknownHost, flags, compose(), 'trainer').join('\n'), /host `otelcol` is not a service/);
    const noDepends = compose();
    noDepends.services.trainer.depends_on = ['agl'];
    assert.match(checkCommandUrls(trainer, flags, noDepends, 'trainer').join('\n'), /does not depend_on `otel-collector`/);
  });

  it('sim-llm binds 0.0.0.0 on the port it exposes (agl sim-llm --host), and is healthy once it answers GET /v1/models', () => {
    const simLlm = compose().services['sim-llm'];
    const command: string[] = simLlm.command;
    assert.equal(command[command.indexOf('--host') + 1], '0.0.0.0');
    const port = Number(command[command.indexOf('--port') + 1]);
    assert.ok(listenPorts(compose(), 'sim-llm').has(port), `sim-llm exposes ${port}`);
    assert.match(HELP.simLlm, /--host ADDR .*default 127\.0\.0\.1/);
    assert.match(simLlm.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${port}/v1/models`));
  });

  it('agl is healthy once its health port (--health-port) answers GET /v1/agl/health; the trainer waits for that', () => {
    const agl = compose().services.agl;
    const command: string[] = agl.command;
    const healthPort = Number(command[command.indexOf('--health-port') + 1]);
    assert.ok(Number.isInteger(healthPort) && healthPort > 0, `agl serve --health-port: ${healthPort}`);
    assert.match(HELP.serve, /--health-port N/);
    assert.match(agl.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${healthPort}/v1/agl/health`));
    assert.equal(compose().services.trainer.depends_on.agl.condition, 'service_healthy');
  });

  it("agl's LLM gateway passes the model calls on to sim-llm (--model-upstream); fails otherwise", () => {
    const agl: string[] = compose().services.agl.command;
    assert.deepEqual(checkCommandUrls(agl, ['--model-upstream'], compose(), 'agl'), []);
    assert.equal(agl[agl.indexOf('--model-upstream') + 1], 'http://sim-llm:8000/v1');
    const wrongPort = agl.map((part) => (part === 'http://sim-llm:8000/v1' ? 'http://sim-llm:9000/v1' : part));
    assert.match(checkCommandUrls(wrongPort, ['--model-upstream'], compose(), 'agl').join('\n'), /service `sim-llm` does not listen on 9000/);
    const noDepends = compose();
    delete noDepends.services.agl.depends_on;
    assert.match(checkCommandUrls(agl, ['--model-upstream'], noDepends, 'agl').join('\n'), /does not depend_on `sim-llm`/);
  });

  it('the trainer trains an any-language agent through the gateway: --command on files of the repository, its own model calls to sim-llm (OPENAI_BASE_URL); fails otherwise', () => {
    const trainer = compose().services.trainer;
    const command: string[] = trainer.command;
    assert.equal(command[command.indexOf('--command') + 1], 'python3 examples/any-language/room_selector.py');
    assert.deepEqual(checkTrainFiles(command, ROOT), []);
    assert.deepEqual(checkEnvironmentUrls(compose(), 'trainer', ['OPENAI_BASE_URL']), []);
    assert.equal(serviceEnvironment(compose(), 'trainer').OPENAI_BASE_URL, 'http://sim-llm:8000/v1');
    assert.equal(serviceEnvironment(compose(), 'trainer').OPENAI_API_KEY, 'sim');
    assert.equal(trainer.depends_on['sim-llm'].condition, 'service_healthy', 'agl train checks its model server at start-up');
    assert.match(checkTrainFiles(command.map((part) => part.replace('room_selector.py', 'room-selector.py')), ROOT).join('\n'), /--command `examples\/any-language\/room-selector.py` does not exist/);
    assert.match(checkTrainFiles([...command, '--grader', '/app/grader.ts'], ROOT).join('\n'), /--grader `\/app\/grader.ts` is an absolute path/);
    const wrongHost = compose();
    wrongHost.services.trainer.environment = { ...trainer.environment, OPENAI_BASE_URL: 'http://sim:8000/v1' };
    assert.match(checkEnvironmentUrls(wrongHost, 'trainer', ['OPENAI_BASE_URL']).join('\n'), /host `sim` is not a service/);
    const listForm = compose();
    listForm.services.trainer.environment = ['OPENAI_BASE_URL=http://sim-llm:8000/v1', 'OPENAI_API_KEY=sim'];
    assert.deepEqual(checkEnvironmentUrls(listForm, 'trainer', ['OPENAI_BASE_URL']), []);
    const missing = compose();
    delete missing.services.trainer.environment;
    assert.match(checkEnvironmentUrls(missing, 'trainer', ['OPENAI_BASE_URL']).join('\n'), /no environment variable OPENAI_BASE_URL/);
  });

  it('the agl and trainer commands use only flags the CLI has; fails on an unknown flag or subcommand', () => {
    const services = compose().services;
    assert.deepEqual(checkAglCommand(services.agl.command, 'serve', HELP.serve), []);
    assert.deepEqual(checkAglCommand(services.trainer.command, 'train', HELP.train), []);
    assert.deepEqual(checkAglCommand(services['sim-llm'].command, 'sim-llm', HELP.simLlm), []);
    assert.equal(services.trainer.command[3], '--command');
    assert.match(checkAglCommand([...services.agl.command, '--no-such-flag', 'x'], 'serve', HELP.serve).join('\n'), /no flag --no-such-flag/);
    assert.match(checkAglCommand([...services.trainer.command, '--stores', 'http://agl:4318'], 'train', HELP.train).join('\n'), /no flag --stores/);
    assert.match(checkAglCommand(['node', 'bin/agl.js', 'collect', '--db', 'x'], 'serve', HELP.serve).join('\n'), /is not `agl serve`/);
  });
});

describe('Dockerfile', () => {
  it('is node:20 with npm ci, and its CMD is the compose agl command: agl serve on 0.0.0.0:4318 with --db on /data', () => {
    assert.deepEqual(checkDockerfile(DOCKERFILE), []);
    const cmd = dockerfileCmd(DOCKERFILE);
    assert.ok(cmd);
    assert.deepEqual(checkAglCommand(cmd, 'serve', HELP.serve), []);
    // The compose file adds the gateway's upstream, a service that only exists there.
    assert.deepEqual(compose().services.agl.command, [...cmd, '--model-upstream', 'http://sim-llm:8000/v1']);
    assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
    assert.equal(cmd[cmd.indexOf('--port') + 1], '4318');
    assert.equal(cmd[cmd.indexOf('--db') + 1], '/data/agl.duckdb');
  });

  it('installs python3 for the trainer\'s Python agent; the check fails without it', () => {
    assert.deepEqual(checkAptInstalls(DOCKERFILE, 'python3'), []);
    assert.match(checkAptInstalls(DOCKERFILE.replace(/python3/g, 'python3-venv'), 'python3').join('\n'), /does not apt-get install python3/);
    assert.match(checkAptInstalls(DOCKERFILE.replace(/^RUN apt-get[\s\S]*?lists\/\*\n/m, ''), 'python3').join('\n'), /does not apt-get install python3/);
  });

  it('the Dockerfile check fails on another base image, no npm ci, a shell-form CMD', () => {
    assert.match(checkDockerfile(DOCKERFILE.replace(/FROM node:20\S*/, 'FROM node:18-slim')).join('\n'), /not a node:20 image/);
    assert.match(checkDockerfile(DOCKERFILE.replace('npm ci', 'npm install')).join('\n'), /no `RUN npm ci`/);
    assert.match(checkDockerfile(DOCKERFILE.replace(/^CMD .*$/m, 'CMD node bin/agl.js serve')).join('\n'), /no CMD in exec/);
    assert.match(checkAglCommand(['node', 'bin/agl.js', 'serve', '--data', '/data/agl.duckdb'], 'serve', HELP.serve).join('\n'), /no flag --data/);
  });
});

describe('README', () => {
  it(`its "${README_HEADING}" table lists exactly the published host ports and their services`, () => {
    assert.deepEqual(checkReadmePorts(README, README_HEADING, compose()), []);
  });

  it('the README check fails on a port it does not list, a wrong service, an extra port, a missing section', () => {
    const moved = compose();
    moved.services.agl.ports = ['24318:4318'];
    const problems = checkReadmePorts(README, README_HEADING, moved).join('\n');
    assert.match(problems, /does not list host port 24318/);
    assert.match(problems, /lists host port 14318 \(agl\), which the compose file does not publish/);
    const swapped = compose();
    swapped.services.jaeger.ports = [];
    swapped.services.agl.ports = ['14318:4318', '16686:16686'];
    assert.match(checkReadmePorts(README, README_HEADING, swapped).join('\n'), /gives host port 16686 to `jaeger`, the compose file to `agl`/);
    assert.match(checkReadmePorts(README.replace(`## ${README_HEADING}`, '## Something else'), README_HEADING, compose()).join('\n'), /no section/);
  });
});
