/**
 * ICD-10-CM as a terminology the server knows: the CDC/NCHS order files of each fiscal year in
 * `terminology/icd10cm/` (dropping in `icd10cm-order-YYYY.txt[.gz]` adds a year).
 *
 *   const icd = await loadIcd10Cm();            // shared, loaded once per process
 *   icd.lookup('E11.9', '2025-10-01')           // { code, display, inForce, billable, header, fiscalYear, ... }
 *   icd10cmFormatProblem('E119')                // "... written without its dot: write it as E11.9"
 */
export { ICD10CM_SYSTEM, Icd10CmCodeSystem, type Icd10CmLookup } from './code-system';
export { dotted, icd10cmFormatProblem } from './code-format';
export { fiscalYearOf, fiscalYearPeriod, formatServiceDate, serviceDate, type ServiceDate } from './fiscal-year';
export { bundledIcd10CmDir, buildIcd10Cm, icd10cmLoad, loadIcd10Cm, type Icd10CmLoadStats } from './load';
export { OrderFileError } from './order-file';
export { checkIcd10CmCode, loadedYears, type Icd10CmCheck, type Icd10CmCheckOptions, type Icd10CmProblem, type Icd10CmProblemKind } from './check';
export { requestedYear, type RequestedYear } from './requested-year';
export { dateOfService, type DateOfService, type ReadResource } from './date-of-service';
export { icd10cmResourceCheck, icd10cmWriteIssues, type Icd10CmWriteCheckOptions } from './write-check';
