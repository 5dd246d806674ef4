#!/usr/bin/env -S node --
// src/cli/early.ts first: `up` starts its supervisor before the CLI loads (both Node start-ups overlap),
// a bare --version is answered without loading the CLI at all.
import { runEarly } from '../dist/cli/early.js';

if (!runEarly()) await import('../dist/cli/main.js');
