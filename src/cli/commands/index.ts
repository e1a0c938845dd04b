import type { Command } from 'commander';
import { register as apply } from './apply.ts';
import { register as bootstrap } from './bootstrap.ts';
import { register as completion } from './completion.ts';
import { register as db } from './db.ts';
import { register as plan } from './plan.ts';
import { register as pull } from './pull.ts';
import { register as validate } from './validate.ts';

/** Every command registers itself here: one line per command file. */
export const commands: Array<(program: Command) => void> = [validate, plan, apply, db, bootstrap, pull, completion];
