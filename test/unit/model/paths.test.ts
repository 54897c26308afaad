import {
  attributeName,
  getAttributeValues,
  getUserValues,
  parsePath,
  PathError,
  userPathKey,
  userPathToField,
  variableName,
} from '../../../src/model/paths';
import { account, jack } from './fixtures';

describe('paths', () => {
  test.each([
    ['$user/fullName', 'user', { root: 'user', segments: ['fullName'] }],
    ['$focus/givenName', 'user', { root: 'user', segments: ['givenName'] }],
    ['fullName', 'user', { root: 'user', segments: ['fullName'] }],
    ['extension/employeeNumber', 'user', { root: 'user', segments: ['extension', 'employeeNumber'] }],
    ['$user/extension/x', 'user', { root: 'user', segments: ['extension', 'x'] }],
    ['$account/attributes/cn', 'user', { root: 'account', attribute: 'cn' }],
    ['$account/attributes/ri:cn', 'user', { root: 'account', attribute: 'cn' }],
    ['$account/attributes/icfs:name', 'user', { root: 'account', attribute: 'icfs:name' }],
    ['ri:cn', 'user', { root: 'account', attribute: 'cn' }],
    ['icfs:uid', 'user', { root: 'account', attribute: 'icfs:uid' }],
    ['cn', 'account', { root: 'account', attribute: 'cn' }],
    ['$shadow/attributes/cn', 'user', { root: 'shadow', segments: ['attributes', 'cn'] }],
  ] as const)('parsePath(%s, %s)', (path, root, expected) => {
    expect(parsePath(path, root)).toEqual(expected);
  });

  test.each(['$nobody/x', '$user', '$account/whatever/cn', ''])('parsePath(%j) is an error', (path) => {
    expect(() => parsePath(path)).toThrow(PathError);
  });

  test.each([
    ['$user/fullName', 'fullName'],
    ['$account/attributes/cn', 'cn'],
    ['ri:cn', 'cn'],
    ['$account/attributes/ri:sn', 'sn'],
    ['givenName', 'givenName'],
  ])('variableName(%s) = %s', (path, name) => {
    expect(variableName(path)).toBe(name);
  });

  test('names and keys', () => {
    expect(attributeName('ri:cn')).toBe('cn');
    expect(attributeName('icfs:name')).toBe('icfs:name');
    expect(userPathKey('$user/extension/x')).toBe('extension/x');
    expect(userPathToField('extension/x')).toBe('extension.x');
    expect(userPathToField('$user/name')).toBe('name');
  });

  test('values as lists', () => {
    const user = jack({ extension: { tags: ['a', 'b'], badge: 7 } });
    expect(getUserValues(user, ['fullName'])).toEqual(['Jack Sparrow']);
    expect(getUserValues(user, ['emailAddress'])).toEqual([]);
    expect(getUserValues(user, 'extension/tags')).toEqual(['a', 'b']);
    expect(getUserValues(user, 'extension/badge')).toEqual([7]);
    expect(getUserValues(null, ['name'])).toEqual([]);
    const acc = account('uid=jack,ou=people', { CN: ['Jack'] }, 'e-1');
    expect(getAttributeValues(acc, 'cn')).toEqual(['Jack']);
    expect(getAttributeValues(acc, 'ri:cn')).toEqual(['Jack']);
    expect(getAttributeValues(acc, 'icfs:name')).toEqual(['uid=jack,ou=people']);
    expect(getAttributeValues(acc, 'icfs:uid')).toEqual(['e-1']);
  });
});
