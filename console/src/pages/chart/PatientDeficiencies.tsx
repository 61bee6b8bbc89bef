import type { Bundle } from 'fhir/r4';
import { useFhir } from '../../api/use-fhir';
import { Async } from '../../components/Status';
import { DeficiencyTable, TASK_INCLUDES } from '../worklist/DeficiencyTable';

/** The patient's deficiency Tasks, open ones first. */
export function PatientDeficiencies({ patientId }: { patientId: string }) {
  const state = useFhir<Bundle>(`Task?patient=${encodeURIComponent(patientId)}&_count=100&${TASK_INCLUDES}`);
  return (
    <Async state={state} label="Loading deficiencies">
      {(bundle) => <DeficiencyTable bundle={bundle} caption="Deficiencies of this chart" />}
    </Async>
  );
}
