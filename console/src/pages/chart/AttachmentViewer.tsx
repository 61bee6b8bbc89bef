import { Anchor, Stack, Text } from '@mantine/core';
import type { Attachment, Binary } from 'fhir/r4';
import { useEffect, useState } from 'react';
import { fhir, FHIR_BASE } from '../../api/fhir';
import { ErrorMessage, Loading } from '../../components/Status';

export interface Content {
  type: string;
  bytes: Uint8Array<ArrayBuffer>;
}

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** A Binary on this server (`Binary/1`, or its absolute URL); other URLs are links only. */
function binaryPath(url: string): string | undefined {
  const base = `${location.origin}${FHIR_BASE}/`;
  const path = url.startsWith(base) ? url.slice(base.length) : url;
  return /^Binary\/[A-Za-z0-9\-.]{1,64}$/.test(path) ? path : undefined;
}

/** The attachment's bytes: inline data, or the Binary it points to, read through the API. */
export async function readAttachment(a: Attachment): Promise<Content | undefined> {
  if (a.data !== undefined) return { type: a.contentType ?? 'application/octet-stream', bytes: decode(a.data) };
  const path = a.url && binaryPath(a.url);
  if (!path) return undefined;
  const binary = await fhir<Binary>(path);
  return { type: a.contentType ?? binary.contentType, bytes: decode(binary.data ?? '') };
}

/**
 * Shows text as text, HTML in a sandboxed frame (no scripts, no access to the console) and PDF in the browser's own
 * viewer, each from a blob URL made of bytes read through the API; anything else can be downloaded.
 */
export function AttachmentViewer({ attachment }: { attachment: Attachment }) {
  const [content, setContent] = useState<Content | null>();
  const [error, setError] = useState<Error>();
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    readAttachment(attachment).then((c) => setContent(c ?? null), setError);
  }, [attachment]);
  useEffect(() => {
    if (!content) return;
    const made = URL.createObjectURL(new Blob([content.bytes], { type: content.type }));
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [content]);

  if (error) return <ErrorMessage error={error} title="The document cannot be read" />;
  if (content === undefined) return <Loading label="Loading the document" />;
  if (content === null)
    return (
      <Text>
        The document is kept elsewhere:{' '}
        <Anchor href={attachment.url} target="_blank" rel="noreferrer">
          {attachment.url ?? 'no address given'}
        </Anchor>
      </Text>
    );
  const type = content.type.split(';')[0].trim().toLowerCase();
  const download = url && (
    <Anchor href={url} download={attachment.title ?? 'document'}>
      Download ({type}, {content.bytes.length.toLocaleString()} bytes)
    </Anchor>
  );
  let view: React.ReactNode = <Text>This kind of document ({type}) cannot be shown here.</Text>;
  if (type === 'text/html' || type === 'application/xhtml+xml') view = url && <iframe className="attachment-frame" title="Document" sandbox="" src={url} />;
  else if (type === 'application/pdf') view = url && <iframe className="attachment-frame" title="Document (PDF)" src={url} />;
  else if (type.startsWith('text/') || type === 'application/json' || type === 'application/fhir+json')
    view = (
      <pre className="attachment-text" aria-label="Document text">
        {new TextDecoder().decode(content.bytes)}
      </pre>
    );
  return (
    <Stack>
      {view}
      {download}
    </Stack>
  );
}
