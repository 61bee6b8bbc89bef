import type { Route } from '../router/route';
import type { BinaryBytes } from './byte-store';
import { readBinary } from './read';
import { writeBinary } from './write';

export interface BinaryRouteOptions {
  bytes: BinaryBytes;
  /** Largest raw upload (BINARY_BODY_LIMIT). */
  bodyLimit: number;
  /** Most bytes a FHIR JSON read inlines as base64. */
  jsonLimit: number;
}

/**
 * Binary's own read, vread, create and update, ahead of the generic ones in the route table: they take and answer
 * raw content as well as FHIR JSON. Search, history and delete of Binary are the generic interactions.
 */
export function binaryRoutes(opts: BinaryRouteOptions): Route[] {
  const binary = { types: ['Binary'], raw: true } as const;
  return [
    { ...binary, methods: ['POST'], path: '{type}', interaction: 'create', bodyLimit: opts.bodyLimit, handler: (ctx, req) => writeBinary(opts.bytes, ctx, req) },
    {
      ...binary,
      methods: ['PUT'],
      path: '{type}/{id}',
      interaction: 'update',
      rewrites: true,
      bodyLimit: opts.bodyLimit,
      handler: (ctx, req, p) => writeBinary(opts.bytes, ctx, req, p.id),
    },
    { ...binary, methods: ['GET'], path: '{type}/{id}', interaction: 'read', handler: (ctx, req, p) => readBinary(opts, ctx, req, p.id) },
    { ...binary, methods: ['GET'], path: '{type}/{id}/_history/{vid}', interaction: 'vread', handler: (ctx, req, p) => readBinary(opts, ctx, req, p.id, p.vid) },
  ];
}
