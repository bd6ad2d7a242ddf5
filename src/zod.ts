/**
 * zod for the whole code base: zod/mini (the same core as classic zod, with a functional API) so a Lambda
 * bundles only the schemas and checks it uses, and builds its schemas without classic's per-schema methods.
 *
 * zod/mini loads no locale, while the messages callers and logs see (prettifyError in config and event
 * errors, describeValidationError for request bodies) are zod's English ones: English is configured here,
 * once, before any parse. Import this module as a namespace everywhere (`import * as z from './zod'`):
 * `export { z }` or `z.locales.en()` would bundle all of zod/mini or all 64 locales.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
