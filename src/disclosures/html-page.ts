import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FhirResult } from '../router/types';

/**
 * A printable HTML page of a report (the accounting of disclosures, the access report). Every text that reaches it
 * (recipient names and addresses, descriptions, user and client names) is untrusted: a client chose it. So the page
 * is built from text only, each piece escaped for HTML element content and attribute values, and served with a
 * Content-Security-Policy that runs no script and loads nothing, allowing only this page's own style sheet by hash.
 */
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const STYLE =
  'body{font-family:sans-serif;margin:2em;color:#111}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em}' +
  'table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}' +
  'th{background:#eee}p.note{font-size:.9em;color:#444}@media print{body{margin:0}th{background:none}}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
const CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;

export interface HtmlTable {
  head: string[];
  /** Each cell is text; a cell of several lines keeps its line breaks. */
  rows: string[][];
  /** Said instead of an empty table. */
  empty: string;
}

export interface HtmlSection {
  heading?: string;
  paragraphs?: string[];
  table?: HtmlTable;
}

const cell = (text: string) => escapeHtml(text).replace(/\n/g, '<br>');

function table(t: HtmlTable): string {
  if (!t.rows.length) return `<p>${escapeHtml(t.empty)}</p>`;
  const head = t.head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
}

/** The page's HTML. */
export function htmlPage(title: string, sections: readonly HtmlSection[], note?: string): string {
  const body = sections.map((s) =>
    [s.heading ? `<h2>${escapeHtml(s.heading)}</h2>` : '', ...(s.paragraphs ?? []).map((p) => `<p>${cell(p)}</p>`), s.table ? table(s.table) : '']
      .filter(Boolean)
      .join('\n'),
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    `<body>\n<h1>${escapeHtml(title)}</h1>`,
    ...body,
    note ? `<p class="note">${cell(note)}</p>` : '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The page as an answer: text/html, with its own Content-Security-Policy. */
export function htmlResult(html: string): FhirResult {
  return {
    status: 200,
    headers: { 'Content-Security-Policy': CSP },
    contentType: 'text/html; charset=utf-8',
    body: { stream: Readable.from([Buffer.from(html, 'utf8')]) },
  };
}
