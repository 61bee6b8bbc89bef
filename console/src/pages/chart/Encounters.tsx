import { Badge, Group, Text, Timeline } from '@mantine/core';
import type { Bundle, Encounter } from 'fhir/r4';
import { useEffect } from 'react';
import { includedNames, nameOf, resources } from '../../api/fhir';
import { conceptText, periodText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { Async } from '../../components/Status';
import { HistoryButton } from './History';

const CLASS: Record<string, string> = {
  IMP: 'Inpatient',
  ACUTE: 'Inpatient acute',
  NONAC: 'Inpatient non-acute',
  EMER: 'Emergency',
  AMB: 'Ambulatory',
  VR: 'Virtual',
  HH: 'Home health',
};

/** Scrolls the resource at the gap into view once its row exists. */
export function useScrollTo(elementId: string | undefined, ready: boolean): void {
  useEffect(() => {
    if (ready && elementId) document.getElementById(elementId)?.scrollIntoView({ block: 'center' });
  }, [elementId, ready]);
}

export const rowId = (reference: string) => `row-${reference.replace(/[^A-Za-z0-9-]/g, '-')}`;

/** The patient's encounters newest first, as a timeline; the one at a gap is marked. */
export function Encounters({ patientId, focus }: { patientId: string; focus?: string }) {
  const state = useFhir<Bundle>(
    `Encounter?patient=${encodeURIComponent(patientId)}&_sort=-date&_count=200&_include=Encounter:participant&_include=Encounter:service-provider`,
  );
  useScrollTo(focus && rowId(focus), state.data !== undefined);
  return (
    <Async state={state} label="Loading encounters">
      {(bundle) => {
        const encounters = resources<Encounter>(bundle, 'Encounter');
        const names = includedNames(bundle);
        if (encounters.length === 0) return <Text>No encounters.</Text>;
        return (
          <Timeline bulletSize={14} lineWidth={2} active={-1}>
            {encounters.map((e) => {
              const ref = `Encounter/${e.id}`;
              const marked = focus === ref;
              return (
                <Timeline.Item
                  key={e.id}
                  id={rowId(ref)}
                  className={marked ? 'focus-row' : undefined}
                  title={`${CLASS[e.class?.code ?? ''] ?? e.class?.code ?? 'Encounter'}: ${conceptText(e.type) || 'visit'}`}
                >
                  <Text size="sm">{periodText(e.period)}</Text>
                  <Group gap="xs">
                    <Badge variant="light" size="sm">
                      {e.status}
                    </Badge>
                    {marked && (
                      <Badge color="orange" size="sm">
                        deficiency here
                      </Badge>
                    )}
                    {e.reasonCode && <Text size="sm">Reason: {conceptText(e.reasonCode)}</Text>}
                    {e.participant?.length ? <Text size="sm">Clinician: {e.participant.map((p) => nameOf(names, p.individual)).join(', ')}</Text> : null}
                    {e.serviceProvider && <Text size="sm">At: {nameOf(names, e.serviceProvider)}</Text>}
                    <HistoryButton type="Encounter" id={e.id!} label={`Encounter of ${periodText(e.period)}`} />
                  </Group>
                </Timeline.Item>
              );
            })}
          </Timeline>
        );
      }}
    </Async>
  );
}
