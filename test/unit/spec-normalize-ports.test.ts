import { describe, expect, it } from 'vitest';
import { FILE, service, serviceErrors } from './spec-normalize-helpers.js';

const ports = (yaml: string) => service(`ports: ${yaml}`).ports;

describe('ports: short syntax', () => {
  it('container port only: ephemeral host port on all interfaces', () => {
    expect(ports('["80"]')).toEqual([{ target: 80, protocol: 'tcp', mode: 'ingress' }]);
    expect(ports('[3000]')).toEqual([{ target: 3000, protocol: 'tcp', mode: 'ingress' }]);
  });

  it('host:container and protocol', () => {
    expect(ports('["8080:80", "53:53/udp", "5000:5000/TCP"]')).toEqual([
      { target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' },
      { target: 53, published: 53, protocol: 'udp', mode: 'ingress' },
      { target: 5000, published: 5000, protocol: 'tcp', mode: 'ingress' },
    ]);
  });

  it('expands equal ranges pairwise', () => {
    expect(ports('["8000-8002:80-82"]')).toEqual([
      { target: 80, published: 8000, protocol: 'tcp', mode: 'ingress' },
      { target: 81, published: 8001, protocol: 'tcp', mode: 'ingress' },
      { target: 82, published: 8002, protocol: 'tcp', mode: 'ingress' },
    ]);
  });

  it('a container range alone gets ephemeral host ports', () => {
    expect(ports('["3000-3001"]')).toEqual([
      { target: 3000, protocol: 'tcp', mode: 'ingress' },
      { target: 3001, protocol: 'tcp', mode: 'ingress' },
    ]);
  });

  it('host IP, IPv4 and bracketed IPv6, and an empty host port', () => {
    expect(ports('["127.0.0.1:8080:80", "[::1]:9090:90/udp", "127.0.0.1::5432", "0.0.0.0:443:443"]')).toEqual([
      { target: 80, published: 8080, hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' },
      { target: 90, published: 9090, hostIp: '::1', protocol: 'udp', mode: 'ingress' },
      { target: 5432, hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' },
      { target: 443, published: 443, hostIp: '0.0.0.0', protocol: 'tcp', mode: 'ingress' },
    ]);
  });

  it('host port 0 means ephemeral', () => {
    expect(ports('["0:80"]')).toEqual([{ target: 80, protocol: 'tcp', mode: 'ingress' }]);
  });
});

describe('ports: long syntax', () => {
  it('maps every field', () => {
    expect(ports('[{target: 80, published: "8080", host_ip: 127.0.0.1, protocol: udp, mode: host, name: web, app_protocol: http}]')).toEqual([
      { target: 80, published: 8080, hostIp: '127.0.0.1', protocol: 'udp', mode: 'host', name: 'web', appProtocol: 'http' },
    ]);
  });

  it('defaults to tcp, ingress, ephemeral', () => {
    expect(ports('[{target: 443}]')).toEqual([{ target: 443, protocol: 'tcp', mode: 'ingress' }]);
  });

  it('accepts a published range for a target range', () => {
    expect(ports('[{target: "80-81", published: "8080-8081"}]')).toEqual([
      { target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' },
      { target: 81, published: 8081, protocol: 'tcp', mode: 'ingress' },
    ]);
  });
});

describe('ports: errors', () => {
  it('host port out of range, located at the entry', () => {
    expect(serviceErrors('ports:\n  - "70000:80"')).toEqual([
      `${FILE}:5:9: services.s.ports[0]: host port: expected a port in range 0-65535, found 70000`,
    ]);
  });

  it('container port 0 or out of range', () => {
    expect(serviceErrors('ports: ["8080:0"]')).toEqual([
      `${FILE}:4:13: services.s.ports[0]: container port: expected a port in range 1-65535, found 0`,
    ]);
    expect(serviceErrors('ports: [{target: 99999}]')[0]).toContain('found 99999');
  });

  it('ranges of different lengths', () => {
    expect(serviceErrors('ports: ["8000-8001:80-82"]')).toEqual([
      `${FILE}:4:13: services.s.ports[0]: found 2 host ports for 3 container ports, expected ranges of the same length`,
    ]);
  });

  it('host IPs must be addresses', () => {
    expect(serviceErrors('ports: ["8080:80:90:100"]')).toEqual([
      `${FILE}:4:13: services.s.ports[0]: found host IP "8080:80", expected an IPv4 address or an IPv6 address in brackets`,
    ]);
    expect(serviceErrors('ports: ["localhost:80:80"]')[0]).toContain('found host IP "localhost"');
    expect(serviceErrors('ports: ["300.1.1.1:80:80"]')[0]).toContain('found host IP "300.1.1.1"');
    expect(service('ports: ["fe80::1:8080:80", "[::ffff:10.0.0.1]:81:81"]').ports.map((m) => m.hostIp)).toEqual(['fe80::1', '::ffff:10.0.0.1']);
  });

  it('garbage and unknown protocols', () => {
    expect(serviceErrors('ports: ["abc"]')[0]).toContain('container port: expected a port number or range (1-65535), found "abc"');
    expect(serviceErrors('ports: ["80/sctp"]')[0]).toContain('found protocol "sctp", expected "tcp" or "udp"');
    expect(serviceErrors('ports: ["1:2:3:4:5/tcp/x"]')).toHaveLength(1);
  });
});

describe('expose', () => {
  it('numbers, strings, protocols and ranges', () => {
    expect(service('expose: [3000, "4000/udp", "5000-5002"]').expose).toEqual([
      { port: 3000, protocol: 'tcp' },
      { port: 4000, protocol: 'udp' },
      { port: 5000, protocol: 'tcp' },
      { port: 5001, protocol: 'tcp' },
      { port: 5002, protocol: 'tcp' },
    ]);
  });

  it('refuses non-ports', () => {
    expect(serviceErrors('expose: ["http"]')).toEqual([
      `${FILE}:4:14: services.s.expose[0]: found "http", expected a port, a range or "port/protocol" such as "3000/udp"`,
    ]);
  });
});
