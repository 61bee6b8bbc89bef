import { badRequest } from '../../errors/operation-outcome-error';
import type { ParamType } from '../types';
import { compositeType } from './composite';
import { dateType } from './date';
import { numberType } from './number';
import type { ParamTypeModule } from './param-type';
import { quantityType } from './quantity';
import { referenceType } from './reference';
import { stringType } from './string';
import { tokenType } from './token';
import { uriType } from './uri';

const MODULES: Partial<Record<ParamType, ParamTypeModule>> = {
  string: stringType as ParamTypeModule,
  token: tokenType as ParamTypeModule,
  date: dateType as ParamTypeModule,
  reference: referenceType as ParamTypeModule,
  quantity: quantityType as ParamTypeModule,
  number: numberType as ParamTypeModule,
  uri: uriType as ParamTypeModule,
  composite: compositeType as ParamTypeModule,
};

/** True when parameters of this type can be indexed and searched (`special` ones such as Location near cannot). */
export function isSupportedType(type: ParamType): boolean {
  return MODULES[type] !== undefined;
}

export function moduleFor(type: ParamType): ParamTypeModule {
  const m = MODULES[type];
  if (!m) throw badRequest(`Search parameters of type ${type} are not supported`);
  return m;
}
