import { describe, expect, it } from 'vitest';
import { formatDuration, parseBool, parseBytes, parseDuration, parseInteger, parseMode, parseNumber } from '../../src/spec/units.js';
import { splitShellWords } from '../../src/spec/parse-shell.js';
import { normalizeSignal, signalNumber } from '../../src/spec/parse-signal.js';
import { didYouMean, editDistance } from '../../src/spec/did-you-mean.js';
import { isCidr, isIp, isIpv4, isIpv6 } from '../../src/spec/parse-ip.js';

describe('parseDuration', () => {
  it.each([
    ['1m30s', 90_000],
    ['10s', 10_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['2h45m', 9_900_000],
    ['1h0m0s', 3_600_000],
    ['250us', 0.25],
    ['0', 0],
    [' 5s ', 5_000],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ value: ms });
  });

  it('takes plain numbers as seconds', () => {
    expect(parseDuration(10)).toEqual({ value: 10_000 });
    expect(parseDuration('3')).toEqual({ value: 3_000 });
    expect(parseDuration(0.5)).toEqual({ value: 500 });
  });

  it.each(['', 'soon', '10 s', '1m30', 's', '-', '5sec', '1.2.3s'])('refuses %j', (text) => {
    expect(parseDuration(text).error).toBe('a duration such as 10s, 1m30s or 500ms');
  });

  it('refuses negative numbers and non-scalars', () => {
    expect(parseDuration(-1).error).toBeDefined();
    expect(parseDuration(true).error).toBeDefined();
    expect(parseDuration(null).error).toBeDefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [90_000, '1m30s'],
    [10_000, '10s'],
    [500, '500ms'],
    [3_600_000, '1h0m0s'],
    [1_500, '1.5s'],
    [0, '0s'],
    [9_900_000, '2h45m0s'],
    [0.25, '250µs'],
  ])('%d ms -> %s (Go time.Duration style)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1000, 61_000, 3_723_000, 1_234]) expect(parseDuration(formatDuration(ms)).value).toBe(ms);
  });
});

describe('parseBytes', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5GB', 1.5 * 1024 ** 3],
    ['100kb', 102_400],
    ['100k', 102_400],
    ['2KiB', 2_048],
    ['1T', 1024 ** 4],
    ['64b', 64],
    ['1048576', 1_048_576],
    ['512M', 512 * 1024 ** 2],
    ['-1', -1],
  ])('%s -> %d bytes', (text, bytes) => {
    expect(parseBytes(text)).toEqual({ value: bytes });
  });

  it('takes plain numbers as bytes', () => {
    expect(parseBytes(4096)).toEqual({ value: 4096 });
  });

  it.each(['lots', '12x', '1gg', '', 'm', '1iB'])('refuses %j', (text) => {
    expect(parseBytes(text).error).toBe('a byte size such as 512m, 1g or 1048576');
  });

  it('refuses sizes beyond what a number holds exactly', () => {
    expect(parseBytes('99999999999p').error).toBeDefined();
  });
});

describe('scalar parsers', () => {
  it('parses booleans as strconv.ParseBool does', () => {
    expect(parseBool('true')).toEqual({ value: true });
    expect(parseBool('FALSE')).toEqual({ value: false });
    expect(parseBool('1')).toEqual({ value: true });
    expect(parseBool(false)).toEqual({ value: false });
    expect(parseBool('yes').error).toBeDefined();
  });

  it('parses integers and numbers from strings', () => {
    expect(parseInteger('42')).toEqual({ value: 42 });
    expect(parseInteger(-3)).toEqual({ value: -3 });
    expect(parseInteger('1.5').error).toBeDefined();
    expect(parseNumber('0.5')).toEqual({ value: 0.5 });
    expect(parseNumber('.5')).toEqual({ value: 0.5 });
    expect(parseNumber('abc').error).toBeDefined();
  });

  it('reads file modes as octal', () => {
    expect(parseMode('1777')).toEqual({ value: 0o1777 });
    expect(parseMode('0755')).toEqual({ value: 0o755 });
    expect(parseMode(1777)).toEqual({ value: 0o1777 });
    expect(parseMode('0o700')).toEqual({ value: 0o700 });
    expect(parseMode('rwx').error).toBeDefined();
  });
});

describe('splitShellWords', () => {
  it.each([
    ['echo hello world', ['echo', 'hello', 'world']],
    [`sh -c 'echo "hi there"'`, ['sh', '-c', 'echo "hi there"']],
    [`echo "a b" c`, ['echo', 'a b', 'c']],
    [`echo "say \\"hi\\""`, ['echo', 'say "hi"']],
    ['echo a\\ b', ['echo', 'a b']],
    [`printf '%s\\n' x`, ['printf', '%s\\n', 'x']],
    [`echo ''`, ['echo', '']],
    ['  npm   start  ', ['npm', 'start']],
    ['echo $HOME', ['echo', '$HOME']],
    ['', []],
    [`a"b c"d`, ['ab cd']],
  ])('%j', (input, words) => {
    expect(splitShellWords(input)).toEqual({ value: words });
  });

  it('refuses unbalanced quotes', () => {
    expect(splitShellWords(`echo "oops`).error).toContain('unterminated "');
    expect(splitShellWords(`echo 'oops`).error).toContain("unterminated '");
  });
});

describe('normalizeSignal', () => {
  it.each([
    ['SIGTERM', 'SIGTERM'],
    ['term', 'SIGTERM'],
    ['sigquit', 'SIGQUIT'],
    ['9', 'SIGKILL'],
    ['15', 'SIGTERM'],
    ['SIGUSR1', 'SIGUSR1'],
    ['SIGRTMIN+3', 'SIGRTMIN+3'],
    ['SIGIOT', 'SIGABRT'],
  ])('%s -> %s', (input, name) => {
    expect(normalizeSignal(input)).toEqual({ value: name });
  });

  it('refuses unknown signals', () => {
    expect(normalizeSignal('SIGFOO').error).toBeDefined();
    expect(normalizeSignal('99').error).toBeDefined();
  });

  it('gives signal numbers', () => {
    expect(signalNumber('SIGTERM')).toBe(15);
    expect(signalNumber('SIGKILL')).toBe(9);
    expect(signalNumber('SIGRTMIN+1')).toBe(35);
  });
});

describe('didYouMean', () => {
  const keys = ['image', 'environment', 'ports', 'volumes', 'working_dir', 'restart', 'networks'];
  it('finds transpositions, missing and extra letters', () => {
    expect(editDistance('imgae', 'image')).toBe(1);
    expect(didYouMean('imgae', keys)).toBe('image');
    expect(didYouMean('enviroment', keys)).toBe('environment');
    expect(didYouMean('port', keys)).toBe('ports');
    expect(didYouMean('volume', keys)).toBe('volumes');
  });

  it('treats case and dash/underscore mix-ups as closest', () => {
    expect(didYouMean('Image', keys)).toBe('image');
    expect(didYouMean('working-dir', keys)).toBe('working_dir');
  });

  it('suggests nothing when nothing is close', () => {
    expect(didYouMean('zzzzzz', keys)).toBeUndefined();
    expect(didYouMean('foo', keys)).toBeUndefined();
  });
});

describe('address syntax', () => {
  it('IPv4 and IPv6', () => {
    expect(['10.0.0.1', '255.255.255.255', '0.0.0.0'].every(isIpv4)).toBe(true);
    expect(['256.0.0.1', '10.0.0', '10.0.0.1.2', 'a.b.c.d', '01.2.3.4x'].some(isIpv4)).toBe(false);
    expect(['::1', 'fe80::1', '2001:db8::8:800:200c:417a', '::ffff:10.0.0.1', '::'].every(isIpv6)).toBe(true);
    expect(['1::2::3', ':', '12345::1', 'g::1', '::ffff:300.0.0.1', '10.0.0.1'].some(isIpv6)).toBe(false);
    expect(isIp('localhost')).toBe(false);
  });

  it('CIDR', () => {
    expect(['172.28.0.0/16', '10.0.0.0/8', 'fd00::/64', '0.0.0.0/0'].every(isCidr)).toBe(true);
    expect(['10.0.0.0', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '/8'].some(isCidr)).toBe(false);
  });
});
