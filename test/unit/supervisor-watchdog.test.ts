import { describe, expect, it } from 'vitest';
import { isWatchdogOf, watchdogArgs } from '../../src/supervisor/watchdog.js';

describe('the supervisor watchdog command line', () => {
  const args = watchdogArgs({ logFile: '/r/projects/p/supervisor.log', stateFile: '/r/projects/p/state.json', argv: ['/usr/bin/node', '/x/dist/supervisor/main.cjs', 'p'] });

  it('is tsc-launch --watchdog LOG STATE -- the supervisor of the project', () => {
    expect(args).toEqual(['--watchdog', '/r/projects/p/supervisor.log', '/r/projects/p/state.json', '--', '/usr/bin/node', '/x/dist/supervisor/main.cjs', 'p']);
  });

  it('is recognised in /proc cmdline only for that project\'s state file', () => {
    const cmdline = ['/x/native/build/tsc-launch', ...args, ''].join('\0');
    expect(isWatchdogOf(cmdline, '/r/projects/p/state.json')).toBe(true);
    expect(isWatchdogOf(cmdline, '/r/projects/q/state.json')).toBe(false);
    // a pid reused by another program, or the supervisor the watchdog became
    expect(isWatchdogOf(['/usr/bin/node', '/x/dist/supervisor/main.cjs', 'p', ''].join('\0'), '/r/projects/p/state.json')).toBe(false);
    expect(isWatchdogOf(['/bin/tsc-launcher', ...args, ''].join('\0'), '/r/projects/p/state.json')).toBe(false);
    expect(isWatchdogOf('', '/r/projects/p/state.json')).toBe(false);
  });
});
