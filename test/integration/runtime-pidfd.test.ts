import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { pidfdClose, pidfdExited, pidfdOpen, pidfdSendSignal } from '../../src/sys/pidfd.js';
import { eventually } from '../helpers/eventually.js';

describe('pidfd via koffi', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('opens, signals, and sees the exit of a process without blocking', async () => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = child.pid as number;
    const fd = pidfdOpen(pid);
    expect(fd).toBeGreaterThan(2);
    try {
      expect(pidfdExited(fd as number)).toBe(false);
      expect(pidfdSendSignal(fd as number, 15)).toBe(true);
      await eventually(() => pidfdExited(fd as number), { what: 'pidfd readable' });
      await eventually(() => child?.signalCode === 'SIGTERM', { what: 'child reaped' });
      expect(pidfdSendSignal(fd as number, 15)).toBe(false);
    } finally {
      pidfdClose(fd as number);
    }
  });

  it('a pid that does not exist gives undefined', () => {
    // pid_max is at most 2^22; this pid cannot exist
    expect(pidfdOpen(2 ** 22 + 7)).toBeUndefined();
  });
});
