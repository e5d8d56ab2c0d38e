/**
 * Whole-request handlers: one event per request, the body as it was sent.
 *
 * - `org.apache.flume.sink.solr.morphline.BlobHandler` (morphline module): headers are `Content-Type` (when
 *   sent) and every request parameter (first value); the body is cut at `handler.maxBlobLength` bytes
 *   (default 100,000,000) with a warning — Flume compat.
 * - `org.apache.flume.source.http.BLOBHandler` (core): headers are the request parameters;
 *   `handler.mandatoryParameters` (comma list) names parameters that must be present, else 400 (Flume
 *   answers 500; and with its default empty list it demands a parameter named "", which we do not).
 *
 * Parameters are the query string's, then, for a POST with `application/x-www-form-urlencoded`, the form
 * fields of the body — which then is consumed, leaving an empty event body, as with Jetty's
 * getParameterMap().
 */

import type { Logger } from 'pino'
import { Event, newHeaders } from '../../core/event.ts'
import { HttpClientError, type HttpHandlerRequest, type HttpSourceHandler } from './handler.ts'

function params(req: HttpHandlerRequest): { params: [string, string][]; body: Buffer } {
  const out: [string, string][] = []
  const seen = new Set<string>()
  const add = (k: string, v: string) => {
    if (seen.has(k)) return
    seen.add(k)
    out.push([k, v])
  }
  for (const [k, v] of req.query) add(k, v)
  const mime = req.contentType?.split(';')[0]?.trim().toLowerCase()
  if (req.method === 'POST' && mime === 'application/x-www-form-urlencoded') {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) add(k, v)
    return { params: out, body: Buffer.alloc(0) }
  }
  return { params: out, body: req.body }
}

export function createBlobHandler(maxBlobLength: number, logger: Logger): HttpSourceHandler {
  return {
    getEvents(req) {
      const headers = newHeaders()
      if (req.contentType !== undefined) headers['Content-Type'] = req.contentType
      const p = params(req)
      for (const [k, v] of p.params) headers[k] = v
      let body = p.body
      if (body.length > maxBlobLength) {
        logger.warn(
          { length: body.length, maxBlobLength },
          'Request length exceeds maxBlobLength; truncating the BLOB event',
        )
        body = body.subarray(0, maxBlobLength)
      }
      return [new Event(body, headers)]
    },
  }
}

export function createCoreBlobHandler(mandatory: readonly string[]): HttpSourceHandler {
  return {
    getEvents(req) {
      const headers = newHeaders()
      const p = params(req)
      for (const [k, v] of p.params) headers[k] = v
      for (const m of mandatory) {
        if (headers[m] === undefined)
          throw new HttpClientError(`Please specify ${m} parameter in the request.`)
      }
      return [new Event(p.body, headers)]
    },
  }
}
