/**
 * A synthetic population of Patients shaped like Synthea's (its identifier systems, names with their digits, US
 * addresses and phones), with known duplicates and known look-alikes, from a seed: the same seed gives the same
 * population. The matcher's quality test (test/matching/quality.test.ts) measures precision and recall on it, and the
 * matching bench (bench/matching.ts) scales it to 100,000 Patients.
 *
 * - People live in households: a couple shares family name, address and phone; children share them too and have
 *   other birth dates; some are twins (same birth date, other given name).
 * - Duplicates are a person registered again: a new record number, the SSN kept or left out, and one or two
 *   corruptions (typo in a name, nickname, day and month swapped, moved house, fields left out).
 * - Look-alikes are other people built to resemble someone: same name and birth date (namesakes), same name and
 *   address (a parent and a child named after them).
 */
import type { Identifier, Patient } from 'fhir/r4';

const FAMILIES = (
  'smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson thomas taylor ' +
  'moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker young allen king wright scott ' +
  'torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans turner diaz ' +
  'parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed ' +
  'kelly howard ramos kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo ' +
  'sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell coleman butler henderson barnes gonzales ' +
  'fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant ' +
  'herrera gibson ellis tran medina aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington ' +
  'kennedy wells vargas henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw ' +
  'snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice ' +
  'schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold pierce ' +
  'hansen peters santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley andrews ruiz schneider ' +
  'ebert kuhn gleason larkin abbott atencio balistreri bogisich kshlerin wunsch feeney lockman okuneva hermiston rolfson ziemann'
).split(' ');

const MALE = (
  'james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark donald steven paul ' +
  'andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry ' +
  'justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan henry ' +
  'douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry gerald harold sean austin carl arthur lawrence ' +
  'dylan jesse jordan bryan billy joe bruce gabriel logan albert willie alan juan wayne elijah randy roy vincent ralph eugene russell ' +
  'bobby mason philip louis alberto barney jacinto'
).split(' ');

const FEMALE = (
  'mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley kimberly emily ' +
  'donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda ' +
  'pamela emma nicole helen samantha katherine christine debra rachel carolyn janet catherine maria heather diane ruth julie olivia ' +
  'joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann ' +
  'sara madison frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn danielle beverly isabella ' +
  'theresa diana natalie brittany charlotte marie kayla alexis lori'
).split(' ');

const STREETS = (
  'main oak pine maple cedar elm washington lake hill park view sunset lincoln jackson church river spring mill north south ridge ' +
  'meadow forest highland franklin center chestnut walnut willow cherry adams madison jefferson union broad market water school ' +
  'prospect pleasant green harbor bay valley orchard'
).split(' ');
const SUFFIXES = ['Street', 'Avenue', 'Road', 'Drive', 'Lane', 'Court', 'Way', 'Place', 'Boulevard'];
const CITIES = (
  'Boston Worcester Springfield Cambridge Lowell Brockton Quincy Lynn Newton Somerville Lawrence Framingham Haverhill Waltham Malden ' +
  'Brookline Plymouth Medford Taunton Chicopee Weymouth Revere Peabody Methuen Barnstable Pittsfield Attleboro Arlington Everett Salem ' +
  'Westfield Leominster Fitchburg Beverly Holyoke Marlborough Woburn Chelsea Braintree Natick'
).split(' ');

/** Deterministic random numbers (mulberry32). */
export class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  digits(n: number): string {
    return Array.from({ length: n }, () => this.int(10)).join('');
  }
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
const pad2 = (n: number) => String(n).padStart(2, '0');

export type Corruption = 'family-typo' | 'given-typo' | 'nickname' | 'swapped-day-month' | 'moved' | 'missing-fields';
export type LookAlikeKind = 'namesake' | 'junior' | 'twin';

export interface Population {
  patients: Patient[];
  /** Patient id -> the person it is (equal for a person's records, so every pair of them is a true match). */
  personOf: Map<string, string>;
  /** Each duplicate record's id and the corruptions it carries. */
  duplicates: Array<{ id: string; of: string; corruptions: Corruption[] }>;
  /** Look-alike pairs (different people) and how they resemble each other. */
  lookAlikes: Array<{ a: string; b: string; kind: LookAlikeKind }>;
}

export interface PopulationOptions {
  /** People before duplicates and look-alikes. */
  people: number;
  seed: number;
  /** Duplicates per person (0.1 = one in ten registered twice). */
  duplicateRate?: number;
  /** Look-alikes per person. */
  lookAlikeRate?: number;
}

interface Person {
  id: string;
  gender: 'male' | 'female';
  given: string;
  middle?: string;
  family: string;
  birth: { year: number; month: number; day: number };
  line: string;
  city: string;
  postalCode: string;
  phone: string;
  ssn?: string;
  email?: string;
}

const NICKNAMES: Record<string, string[]> = {
  william: ['bill', 'will', 'billy'],
  robert: ['bob', 'rob', 'bobby'],
  james: ['jim', 'jimmy'],
  john: ['jack', 'johnny'],
  michael: ['mike', 'mick'],
  richard: ['rick', 'dick', 'rich'],
  joseph: ['joe', 'joey'],
  thomas: ['tom', 'tommy'],
  charles: ['charlie', 'chuck'],
  christopher: ['chris'],
  daniel: ['dan', 'danny'],
  matthew: ['matt'],
  anthony: ['tony'],
  donald: ['don'],
  steven: ['steve'],
  andrew: ['andy', 'drew'],
  kenneth: ['ken', 'kenny'],
  edward: ['ed', 'ted', 'eddie'],
  timothy: ['tim'],
  ronald: ['ron'],
  jeffrey: ['jeff'],
  nicholas: ['nick'],
  jonathan: ['jon'],
  benjamin: ['ben'],
  samuel: ['sam'],
  gregory: ['greg'],
  alexander: ['alex'],
  patrick: ['pat'],
  raymond: ['ray'],
  gerald: ['jerry'],
  lawrence: ['larry'],
  elizabeth: ['liz', 'beth', 'betty'],
  patricia: ['pat', 'patty', 'trish'],
  jennifer: ['jen', 'jenny'],
  margaret: ['maggie', 'peggy', 'meg'],
  susan: ['sue', 'susie'],
  katherine: ['kate', 'kathy', 'katie'],
  deborah: ['debbie', 'deb'],
  rebecca: ['becky'],
  cynthia: ['cindy'],
  kathleen: ['kathy', 'kate'],
  pamela: ['pam'],
  samantha: ['sam'],
  christine: ['chris', 'tina'],
  catherine: ['cathy', 'kate'],
  victoria: ['vicky', 'tori'],
  judith: ['judy'],
  abigail: ['abby'],
  frances: ['fran'],
  alexis: ['lexi'],
  barbara: ['barb'],
  dorothy: ['dot'],
  isabella: ['bella'],
  theresa: ['terri'],
  jacqueline: ['jackie'],
  kimberly: ['kim'],
};

/** One typing error: a letter dropped, doubled, replaced, or two neighbours swapped (never the first letter). */
function typo(rnd: Random, word: string): string {
  if (word.length < 4) return word + rnd.pick(['e', 'y', 's']);
  const i = 1 + rnd.int(word.length - 2);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  switch (rnd.int(4)) {
    case 0:
      return word.slice(0, i) + word.slice(i + 1);
    case 1:
      return word.slice(0, i) + word[i] + word.slice(i);
    case 2:
      return word.slice(0, i) + rnd.pick([...letters].filter((l) => l !== word[i])) + word.slice(i + 1);
    default:
      return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  }
}

/** Synthea writes names with digits appended (`Ferry570`): kept, since the matcher must cope with them. */
const syntheaName = (rnd: Random, name: string) => `${cap(name)}${rnd.int(1000)}`;

function address(rnd: Random): Pick<Person, 'line' | 'city' | 'postalCode'> {
  const cityIndex = rnd.int(CITIES.length);
  return {
    line: `${1 + rnd.int(9999)} ${cap(rnd.pick(STREETS))} ${rnd.pick(SUFFIXES)}${rnd.chance(0.2) ? ` Apt ${1 + rnd.int(40)}` : ''}`,
    city: CITIES[cityIndex],
    postalCode: `0${pad2(10 + cityIndex)}${rnd.int(3)}${rnd.int(10)}`.slice(0, 5),
  };
}

const birthDate = (rnd: Random, fromYear: number, toYear: number) => ({ year: fromYear + rnd.int(toYear - fromYear + 1), month: 1 + rnd.int(12), day: 1 + rnd.int(28) });

function toPatient(rnd: Random, p: Person, recordId = p.id): Patient {
  const identifier: Identifier[] = [
    { system: 'https://github.com/synthetichealth/synthea', value: recordId },
    { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'http://hospital.smarthealthit.org', value: recordId },
  ];
  if (p.ssn)
    identifier.push({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS' }] },
      system: 'http://hl7.org/fhir/sid/us-ssn',
      value: p.ssn,
    });
  const telecom: Patient['telecom'] = [];
  if (p.phone) telecom.push({ system: 'phone', value: p.phone, use: 'home' });
  if (p.email) telecom.push({ system: 'email', value: p.email });
  return {
    resourceType: 'Patient',
    id: recordId,
    identifier,
    name: [{ use: 'official', family: syntheaName(rnd, p.family), given: [syntheaName(rnd, p.given), ...(p.middle ? [syntheaName(rnd, p.middle)] : [])] }],
    ...(telecom.length ? { telecom } : {}),
    ...(p.gender ? { gender: p.gender } : {}),
    ...(p.birth.year ? { birthDate: `${p.birth.year}-${pad2(p.birth.month)}-${pad2(p.birth.day)}` } : {}),
    ...(p.line || p.postalCode
      ? { address: [{ line: p.line ? [p.line] : undefined, city: p.city, state: 'MA', postalCode: p.postalCode || undefined, country: 'US' }] }
      : {}),
  };
}

function newPerson(rnd: Random, id: string, base: Partial<Person> = {}): Person {
  const gender = base.gender ?? (rnd.chance(0.5) ? 'male' : 'female');
  return {
    id,
    gender,
    given: rnd.pick(gender === 'male' ? MALE : FEMALE),
    middle: rnd.chance(0.6) ? rnd.pick(gender === 'male' ? MALE : FEMALE) : undefined,
    family: rnd.pick(FAMILIES),
    birth: birthDate(rnd, 1930, 2022),
    ...address(rnd),
    phone: `555-${rnd.digits(3)}-${rnd.digits(4)}`,
    ssn: rnd.chance(0.92) ? `999-${rnd.digits(2)}-${rnd.digits(4)}` : undefined,
    email: rnd.chance(0.3) ? `${id}@example.org` : undefined,
    ...base,
  };
}

function corrupt(rnd: Random, p: Person, kind: Corruption): Person {
  switch (kind) {
    case 'family-typo':
      return { ...p, family: typo(rnd, p.family) };
    case 'given-typo':
      return { ...p, given: typo(rnd, p.given) };
    case 'nickname':
      return NICKNAMES[p.given] ? { ...p, given: rnd.pick(NICKNAMES[p.given]) } : { ...p, given: typo(rnd, p.given) };
    case 'swapped-day-month':
      return p.birth.day <= 12 && p.birth.day !== p.birth.month
        ? { ...p, birth: { ...p.birth, month: p.birth.day, day: p.birth.month } }
        : { ...p, birth: { ...p.birth, day: p.birth.day === 28 ? 27 : p.birth.day + 1 } };
    case 'moved':
      return { ...p, ...address(rnd), phone: rnd.chance(0.5) ? `555-${rnd.digits(3)}-${rnd.digits(4)}` : p.phone };
    case 'missing-fields': {
      const q = { ...p };
      if (rnd.chance(0.5)) Object.assign(q, { line: '', postalCode: '', city: '' });
      if (rnd.chance(0.5)) q.phone = '';
      if (rnd.chance(0.3)) q.email = undefined;
      if (rnd.chance(0.3)) q.middle = undefined;
      return q;
    }
  }
}

const CORRUPTIONS: Corruption[] = ['family-typo', 'given-typo', 'nickname', 'swapped-day-month', 'moved', 'missing-fields'];

/** The population for `opts`: people in households, then duplicates, then look-alikes. */
export function generatePopulation(opts: PopulationOptions): Population {
  const rnd = new Random(opts.seed);
  const people: Person[] = [];
  const nextId = () => `p${opts.seed}-${people.length + 1}-${rnd.digits(6)}`;
  while (people.length < opts.people) {
    const head = newPerson(rnd, nextId());
    people.push(head);
    if (rnd.chance(0.35) && people.length < opts.people) {
      const partner = newPerson(rnd, nextId(), {
        family: head.family,
        gender: head.gender === 'male' ? 'female' : 'male',
        birth: birthDate(rnd, head.birth.year - 5, Math.min(head.birth.year + 5, 2022)),
        line: head.line,
        city: head.city,
        postalCode: head.postalCode,
        phone: head.phone,
      });
      people.push(partner);
      const children = rnd.int(3);
      let birth = birthDate(rnd, Math.min(head.birth.year + 20, 2022), Math.min(head.birth.year + 40, 2022));
      // Parents give each child a name of its own (twins too), and not their own name.
      const taken = new Set([head.given, partner.given]);
      for (let c = 0; c < children && people.length < opts.people; c++) {
        const twin = rnd.chance(0.08);
        if (!twin && c > 0) birth = { ...birth, year: Math.min(birth.year + 1 + rnd.int(4), 2022), month: 1 + rnd.int(12) };
        const child = newPerson(rnd, nextId(), { family: head.family, line: head.line, city: head.city, postalCode: head.postalCode, phone: head.phone, birth });
        while (taken.has(child.given)) child.given = rnd.pick(child.gender === 'male' ? MALE : FEMALE);
        taken.add(child.given);
        people.push(child);
      }
    }
  }
  const patients = people.map((p) => toPatient(rnd, p));
  const personOf = new Map(people.map((p) => [p.id, p.id]));
  const duplicates: Population['duplicates'] = [];
  const duplicateCount = Math.round(opts.people * (opts.duplicateRate ?? 0.1));
  for (let i = 0; i < duplicateCount; i++) {
    const original = rnd.pick(people);
    const kinds = [rnd.pick(CORRUPTIONS), ...(rnd.chance(0.4) ? [rnd.pick(CORRUPTIONS)] : [])];
    let copy: Person = { ...original, ssn: rnd.chance(0.5) ? original.ssn : undefined };
    for (const k of kinds) copy = corrupt(rnd, copy, k);
    const id = `${original.id}-dup${i}`;
    patients.push(toPatient(rnd, copy, id));
    personOf.set(id, original.id);
    duplicates.push({ id, of: original.id, corruptions: [...new Set(kinds)] });
  }
  const lookAlikes: Population['lookAlikes'] = [];
  const lookAlikeCount = Math.round(opts.people * (opts.lookAlikeRate ?? 0.05));
  for (let i = 0; i < lookAlikeCount; i++) {
    const model = rnd.pick(people);
    const kind = rnd.pick<LookAlikeKind>(['namesake', 'junior', 'twin']);
    const id = `la${opts.seed}-${i}-${rnd.digits(6)}`;
    const base = { given: model.given, family: model.family, gender: model.gender };
    const other =
      kind === 'namesake'
        ? newPerson(rnd, id, { ...base, birth: model.birth })
        : kind === 'junior'
          ? newPerson(rnd, id, {
              ...base,
              line: model.line,
              city: model.city,
              postalCode: model.postalCode,
              phone: model.phone,
              birth: birthDate(rnd, model.birth.year + 18, model.birth.year + 40),
            })
          : newPerson(rnd, id, { family: model.family, birth: model.birth, line: model.line, city: model.city, postalCode: model.postalCode, phone: model.phone });
    if (kind === 'twin' && other.given === model.given)
      other.given = rnd.pick(other.gender === 'male' ? MALE.filter((n) => n !== model.given) : FEMALE.filter((n) => n !== model.given));
    patients.push(toPatient(rnd, other));
    personOf.set(id, id);
    lookAlikes.push({ a: model.id, b: id, kind });
  }
  return { patients, personOf, duplicates, lookAlikes };
}
