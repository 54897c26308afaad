import { randomInt } from 'node:crypto';
import { DIGITS, generatePassword, LOWERCASE, policyViolations, UPPERCASE } from '../../../src/model/value-policy';
import { valuePolicySchema } from '../../../src/schema/config';

describe('value policy', () => {
  it('generates passwords that satisfy the policy, every time', () => {
    const policy = valuePolicySchema.parse({ minLength: 14, maxLength: 14, minLowercase: 2, minUppercase: 2, minDigits: 3, minSpecial: 2 });
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const password = generatePassword(policy, randomInt);
      expect(policyViolations(password, policy)).toEqual([]);
      expect(password).toHaveLength(14);
      seen.add(password);
    }
    expect(seen.size).toBe(500);
  });

  it('draws only from the classes the policy asks for', () => {
    const policy = valuePolicySchema.parse({ minLength: 20, minLowercase: 1, minUppercase: 0, minDigits: 1, minSpecial: 0 });
    const password = generatePassword(policy, randomInt);
    expect([...password].every((c) => LOWERCASE.includes(c) || DIGITS.includes(c))).toBe(true);
    expect([...password].some((c) => UPPERCASE.includes(c))).toBe(false);
  });

  it('grows to the sum of the class minimums, and says what a password lacks', () => {
    const policy = valuePolicySchema.parse({ minLength: 2, minLowercase: 2, minUppercase: 2, minDigits: 2, minSpecial: 2 });
    expect(generatePassword(policy, randomInt)).toHaveLength(8);
    expect(policyViolations('abc', valuePolicySchema.parse({ minLength: 8, minSpecial: 1 }))).toEqual([
      'shorter than 8 characters',
      'fewer than 1 uppercase letters',
      'fewer than 1 digits',
      'fewer than 1 special characters',
    ]);
  });

  it('rejects a policy whose minimums cannot fit', () => {
    const parsed = valuePolicySchema.safeParse({ minLength: 4, maxLength: 4, minDigits: 3, minSpecial: 2 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/add up to more than maxLength/);
  });
});
