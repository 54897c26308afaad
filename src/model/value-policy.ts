/**
 * Value policies (midPoint's string policy limitations): generating a password that satisfies one, and
 * saying what a given password lacks. Pure: the caller gives the random source.
 */
import type { ValuePolicy } from '../schema/config';

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';

/** A uniformly random integer in [0, max). */
export type RandomIndex = (max: number) => number;

interface CharacterClass {
  name: string;
  characters: string;
  min: number;
}

function classesOf(policy: ValuePolicy): CharacterClass[] {
  return [
    { name: 'lowercase letters', characters: LOWERCASE, min: policy.minLowercase },
    { name: 'uppercase letters', characters: UPPERCASE, min: policy.minUppercase },
    { name: 'digits', characters: DIGITS, min: policy.minDigits },
    { name: 'special characters', characters: policy.specialCharacters, min: policy.minSpecial },
  ];
}

/**
 * A password of the policy's length (its minimum, or more when the class minimums need more) with at
 * least the minimum of each character class, the rest drawn from every class with a minimum (all
 * classes when none has one), in random order.
 */
export function generatePassword(policy: ValuePolicy, random: RandomIndex): string {
  const classes = classesOf(policy);
  const required = classes.reduce((n, c) => n + c.min, 0);
  const length = Math.max(policy.minLength, required);
  if (policy.maxLength !== undefined && length > policy.maxLength) {
    throw new Error(`value policy: the character class minimums (${required}) exceed maxLength ${policy.maxLength}`);
  }
  const pick = (characters: string) => characters[random(characters.length)]!;
  const chars: string[] = [];
  for (const c of classes) for (let i = 0; i < c.min; i++) chars.push(pick(c.characters));
  const pool = classes.filter((c) => c.min > 0).map((c) => c.characters).join('') || classes.map((c) => c.characters).join('');
  while (chars.length < length) chars.push(pick(pool));
  // Fisher-Yates, so the required characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** What the password lacks to satisfy the policy; empty when it does. */
export function policyViolations(password: string, policy: ValuePolicy): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < policy.minLength) problems.push(`shorter than ${policy.minLength} characters`);
  if (policy.maxLength !== undefined && length > policy.maxLength) problems.push(`longer than ${policy.maxLength} characters`);
  for (const c of classesOf(policy)) {
    const count = [...password].filter((ch) => c.characters.includes(ch)).length;
    if (count < c.min) problems.push(`fewer than ${c.min} ${c.name}`);
  }
  return problems;
}
