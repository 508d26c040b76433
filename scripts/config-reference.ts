// Writes docs/configuration.md from the variable list in src/config.ts.
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../src/config.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationReference());
