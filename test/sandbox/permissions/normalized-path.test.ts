import path from 'node:path';
import { normalizedAbsolute } from '../../../sandbox/permissions/normalized-path';

describe('normalizedAbsolute', () => {
  it('is path.resolve for every absolute path, skipping the work when there is none', () => {
    const paths = ['/', '/a', '/a/', '/a//b', '//a', '/a/./b', '/a/../b', '/a/.', '/a/..', '/..', '/a/.b', '/a/..b', '/a/b.', '/a/...', '/.hidden/x', '/a/b/c/', '/a/b/../../..', '/a b/ü/😀.jsonl'];
    for (const absolute of paths) expect(normalizedAbsolute(absolute)).toBe(path.resolve(absolute));
    const normal = '/home/me/.claude/projects/-home-me-app/0b6c.jsonl';
    expect(normalizedAbsolute(normal)).toBe(normal);
  });
});
