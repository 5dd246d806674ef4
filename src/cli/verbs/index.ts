import type { Command } from 'commander';
import { registerStubs } from './stubs.js';
import { registerUp } from './up.js';
import { registerDown } from './down.js';
import { registerPs } from './ps.js';
import { registerLogs } from './logs.js';
import { registerScale } from './scale.js';
import { registerLifecycle } from './lifecycle.js';
import { registerTop } from './top.js';
import { registerEvents } from './events.js';
import { registerExec } from './exec.js';
import { registerConfig } from './config.js';
import { registerRun } from './run.js';
import { registerVolume } from './volume.js';
import { registerPull } from './pull.js';
import { registerImages } from './images.js';
import { registerImage } from './image.js';

/** Every verb's `register`. Keep these modules light: heavy imports go inside the actions. */
export function registerAll(program: Command): void {
  registerConfig(program);
  registerRun(program);
  registerVolume(program);
  registerPull(program);
  registerImages(program);
  registerImage(program);
  registerUp(program);
  registerDown(program);
  registerPs(program);
  registerLogs(program);
  registerScale(program);
  registerLifecycle(program);
  registerTop(program);
  registerEvents(program);
  registerExec(program);
  registerStubs(program);
}
