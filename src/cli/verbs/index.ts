import type { Command } from 'commander';
import { registerStubs } from './stubs.js';
import { registerConfig } from './config.js';
import { registerRun } from './run.js';
import { registerVolume } from './volume.js';

/** Every verb's `register`. Keep these modules light: heavy imports go inside the actions. */
export function registerAll(program: Command): void {
  registerConfig(program);
  registerRun(program);
  registerVolume(program);
  registerStubs(program);
}
