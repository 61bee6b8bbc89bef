/**
 * Patient merge and unmerge (issue 19): the operations live in src/operations/merge.ts and unmerge.ts; this folder
 * holds what they do, the write guard every write passes, and the rules (merge-rules.json).
 */
export { mergeRules, type MergeRules } from './rules';
export { mergeWriteGuard } from './write-guard';
export { mergedRecord } from './moved-record';
export { mergeJobKind } from './merge-job';
export { unmergeJobKind } from './unmerge-job';
