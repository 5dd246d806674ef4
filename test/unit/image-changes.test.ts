import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/image/changes.js';

describe('image import --change', () => {
  it('applies Dockerfile instructions to the config', () => {
    const c = applyChanges({}, [
      'CMD ["sh", "-c", "echo hi"]',
      'ENTRYPOINT /init --fast',
      'ENV A=1 B="two words"',
      'ENV LEGACY value with spaces',
      'EXPOSE 80 53/udp',
      'LABEL org.example.a=1 b="x y"',
      'user nobody',
      'WORKDIR /srv',
      'VOLUME ["/data"]',
      'VOLUME /cache',
      'STOPSIGNAL SIGINT',
    ]);
    expect(c).toEqual({
      cmd: ['sh', '-c', 'echo hi'],
      entrypoint: ['/bin/sh', '-c', '/init --fast'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'B=two words', 'LEGACY=value with spaces'],
      exposedPorts: ['80/tcp', '53/udp'],
      labels: { 'org.example.a': '1', b: 'x y' },
      user: 'nobody',
      workingDir: '/srv',
      volumes: ['/data', '/cache'],
      stopSignal: 'SIGINT',
    });
  });

  it('refuses unsupported or malformed instructions', () => {
    expect(() => applyChanges({}, ['RUN make'])).toThrow(/RUN is not supported/);
    expect(() => applyChanges({}, ['EXPOSE http'])).toThrow(/bad port/);
    expect(() => applyChanges({}, ['LABEL novalue'])).toThrow(/not KEY=VALUE/);
    expect(() => applyChanges({}, ['CMD'])).toThrow(/needs a command/);
  });
});
