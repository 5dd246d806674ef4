/**
 * Pure resolution of `user:` ("name", "uid", "name:group", "uid:gid", ...) and `group_add` against the
 * image's /etc/passwd and /etc/group contents, with runc's rules (libcontainer/user GetExecUser):
 * a numeric uid not in passwd is used as is with gid 0; an unknown name is an error; without an explicit
 * group, a user found in passwd also gets the groups that list it as a member.
 */
import { TscError } from '../errors.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

const NUMERIC = /^[0-9]+$/;

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4 || !NUMERIC.test(f[2] ?? '') || !NUMERIC.test(f[3] ?? '')) continue;
    out.push({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3 || !NUMERIC.test(f[2] ?? '')) continue;
    const members = (f[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    out.push({ name: f[0] ?? '', gid: Number(f[2]), members });
  }
  return out;
}

function checkId(n: number, what: string, raw: string): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xfffffffe) throw new TscError('RUNTIME', `invalid ${what} "${raw}": out of range`);
  return n;
}

function lookupGroup(groups: readonly GroupEntry[], g: string): number {
  if (NUMERIC.test(g)) return checkId(Number(g), 'group', g);
  const e = groups.find((x) => x.name === g);
  if (!e) throw new TscError('RUNTIME', `unable to find group ${g}: no matching entries in group file`);
  return e.gid;
}

/**
 * @param user the service's `user` or the image's User; undefined/"" = root.
 * @param groupAdd `group_add` entries (names or numbers).
 */
export function resolveUser(
  user: string | undefined,
  groupAdd: readonly string[],
  passwdText: string | undefined,
  groupText: string | undefined,
): ResolvedUser {
  const passwd = parsePasswd(passwdText ?? '');
  const groups = parseGroup(groupText ?? '');
  const spec = (user ?? '').trim();
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1);
  if (colon >= 0 && (userPart === '' || groupPart === '')) {
    throw new TscError('RUNTIME', `invalid user "${spec}": expected USER[:GROUP]`);
  }

  let uid = 0;
  let gid = 0;
  let home = '/';
  let matchedName: string | undefined;
  if (userPart === '') {
    const root = passwd.find((p) => p.uid === 0);
    if (root) {
      gid = root.gid;
      home = root.home || '/';
      matchedName = root.name;
    }
  } else if (NUMERIC.test(userPart)) {
    uid = checkId(Number(userPart), 'user', userPart);
    const e = passwd.find((p) => p.uid === uid);
    if (e) {
      gid = e.gid;
      home = e.home || '/';
      matchedName = e.name;
    }
  } else {
    const e = passwd.find((p) => p.name === userPart);
    if (!e) throw new TscError('RUNTIME', `unable to find user ${userPart}: no matching entries in passwd file`);
    uid = e.uid;
    gid = e.gid;
    home = e.home || '/';
    matchedName = e.name;
  }

  const extra: number[] = [];
  if (groupPart !== '') {
    gid = lookupGroup(groups, groupPart);
  } else if (matchedName !== undefined && userPart !== '') {
    for (const g of groups) if (g.members.includes(matchedName)) extra.push(g.gid);
  }
  for (const g of groupAdd) extra.push(lookupGroup(groups, g.trim()));
  const additionalGids = [...new Set(extra)].filter((g) => g !== gid);
  return { uid, gid, additionalGids, home };
}

