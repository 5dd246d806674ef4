import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { renderProject } from '../../src/spec/render.js';
import { load } from './spec-normalize-helpers.js';

const STACK = `
name: shop
services:
  web:
    image: nginx:1.27
    ports: ["127.0.0.1:8080:80", "9000"]
    volumes: ["./html:/usr/share/nginx/html:ro", "data:/data", {type: tmpfs, target: /cache, tmpfs: {size: 1m}}]
    environment: [B=2, A=1]
    labels: {z: "1", a: "2"}
    depends_on:
      db: {condition: service_healthy, restart: true}
    command: nginx -g 'daemon off;'
    healthcheck: {test: curl -f http://localhost, interval: 1m30s, timeout: 5s}
    deploy: {replicas: 2, resources: {limits: {cpus: "0.5", memory: 512m}, reservations: {memory: 64m}}}
    restart: on-failure:3
    stop_grace_period: 1m
    stop_signal: quit
    cap_add: [net_admin]
    networks: {front: {aliases: [www]}, back: null}
    extra_hosts: ["gw:10.0.0.1"]
    ulimits: {nofile: 1024}
    tmpfs: ["/run:size=64k"]
    x-note: kept
    x-tscompose: {lb: least-connections}
  db:
    image: postgres:16
    healthcheck: {disable: true}
    networks: [back]
    volumes: ["/anon"]
  debug:
    image: busybox
    profiles: [debug]
networks:
  front: {}
  back: {internal: true, ipam: {config: [{subnet: 10.5.0.0/16}]}}
volumes:
  data: {}
  shared: {external: true}
x-common: {a: 1}
`;

describe('renderProject', () => {
  const { project, errors } = load(STACK, { projectName: 'shop' });

  it('loads the fixture cleanly', () => {
    expect(errors).toEqual([]);
  });

  it('prints the Compose canonical form, name first, enabled services only', () => {
    const out = renderProject(project);
    expect(Object.keys(out)).toEqual(['name', 'services', 'networks', 'volumes', 'x-common']);
    expect(out).toEqual({
      name: 'shop',
      services: {
        db: {
          healthcheck: { disable: true },
          image: 'postgres:16',
          networks: { back: null },
          volumes: [{ type: 'volume', target: '/anon' }],
        },
        web: {
          cap_add: ['NET_ADMIN'],
          command: ['nginx', '-g', 'daemon off;'],
          depends_on: { db: { condition: 'service_healthy', required: true, restart: true } },
          deploy: { replicas: 2, resources: { limits: { cpus: 0.5, memory: 536870912 }, reservations: { memory: 67108864 } } },
          environment: { A: '1', B: '2' },
          extra_hosts: ['gw=10.0.0.1'],
          healthcheck: {
            test: ['CMD-SHELL', 'curl -f http://localhost'],
            interval: '1m30s',
            timeout: '5s',
          },
          image: 'nginx:1.27',
          labels: { a: '2', z: '1' },
          networks: { back: null, front: { aliases: ['www'] } },
          ports: [
            { mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'tcp' },
            { mode: 'ingress', target: 9000, protocol: 'tcp' },
          ],
          restart: 'on-failure:3',
          stop_grace_period: '1m0s',
          stop_signal: 'SIGQUIT',
          tmpfs: ['/run:size=65536'],
          ulimits: { nofile: 1024 },
          volumes: [
            { type: 'bind', source: '/srv/app/html', target: '/usr/share/nginx/html', read_only: true, bind: { create_host_path: true } },
            { type: 'volume', source: 'data', target: '/data' },
            { type: 'tmpfs', target: '/cache', tmpfs: { size: 1048576 } },
          ],
          'x-note': 'kept',
          'x-tscompose': { lb: 'least-connections' },
        },
      },
      networks: {
        back: { name: 'shop_back', ipam: { config: [{ subnet: '10.5.0.0/16' }] }, internal: true },
        front: { name: 'shop_front' },
      },
      volumes: {
        data: { name: 'shop_data' },
        shared: { name: 'shared', external: true },
      },
      'x-common': { a: 1 },
    });
  });

  it('is deterministic, keys sorted', () => {
    const a = JSON.stringify(renderProject(project));
    const b = JSON.stringify(renderProject(load(STACK, { projectName: 'shop' }).project));
    expect(a).toBe(b);
    const web = renderProject(project)['services'] as Record<string, Record<string, unknown>>;
    const keys = Object.keys(web['web']!);
    expect(keys).toEqual([...keys].sort());
  });

  it('renders deploy.restart_policy when it has a delay or window', () => {
    const r = load('services:\n  s:\n    image: a\n    deploy: {restart_policy: {condition: on-failure, delay: 5s, max_attempts: 2}}\n');
    const svc = (renderProject(r.project)['services'] as Record<string, Record<string, unknown>>)['s']!;
    expect(svc['deploy']).toEqual({ restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 2 } });
    expect(svc['restart']).toBeUndefined();
  });

  it('prints scale, restart and legacy resource keys where they were written, as docker compose config', () => {
    const r = load('services:\n  s:\n    image: a\n    scale: 3\n    restart: "no"\n    mem_limit: 1g\n    cpus: 2\n    pids_limit: 10\n    mem_reservation: 1m\n');
    const svc = (renderProject(r.project)['services'] as Record<string, Record<string, unknown>>)['s']!;
    expect(svc).toEqual({ image: 'a', scale: 3, restart: 'no', mem_limit: 1073741824, cpus: 2, pids_limit: 10, mem_reservation: 1048576, networks: { default: null } });
  });

  it('round-trips: the rendered YAML loads back into the same project', () => {
    const text = yaml.dump(renderProject(project));
    const again = load(text, { projectName: 'shop' });
    expect(again.errors).toEqual([]);
    expect(again.project.services).toEqual(project.services);
    expect(again.project.networks).toEqual(project.networks);
    expect(again.project.volumes).toEqual(project.volumes);
  });
});
