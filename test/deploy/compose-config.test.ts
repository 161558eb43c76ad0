import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  checkAglCommand,
  checkConfigMount,
  checkCommandUrls,
  checkDbOnVolume,
  checkDockerfile,
  checkExporterTargets,
  checkPipelines,
  checkReadmePorts,
  checkReceiverPorts,
  checkServiceReferences,
  checkVolumes,
  dockerfileCmd,
  publishedPorts,
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
const HELP = { serve: aglHelp('serve'), train: aglHelp('train') };

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
  it('runs Jaeger v2, the OpenTelemetry Collector, agl built from the repository, and the trainer', () => {
    const services = compose().services;
    assert.deepEqual(Object.keys(services).sort(), ['agl', 'jaeger', 'otel-collector', 'trainer']);
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

  it('the agl and trainer commands use only flags the CLI has; fails on an unknown flag or subcommand', () => {
    const services = compose().services;
    assert.deepEqual(checkAglCommand(services.agl.command, 'serve', HELP.serve), []);
    assert.deepEqual(checkAglCommand(services.trainer.command, 'train', HELP.train), []);
    assert.equal(services.trainer.command[3], 'room-selector');
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
    assert.deepEqual(cmd, compose().services.agl.command);
    assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
    assert.equal(cmd[cmd.indexOf('--port') + 1], '4318');
    assert.equal(cmd[cmd.indexOf('--db') + 1], '/data/agl.duckdb');
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
