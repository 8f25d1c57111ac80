import { describe, expect, it } from 'vitest';
import { BodyCopy, type BodyDropReason, MAX_MIRROR_BODY_BYTES, MirrorBudget } from './mirror-body.js';

function copyOf(budget: MirrorBudget, cap?: number) {
  const seen: { complete?: Buffer; dropped?: BodyDropReason } = {};
  const copy = new BodyCopy(
    budget,
    {
      complete: (chunks, bytes) => {
        seen.complete = Buffer.concat(chunks);
        expect(seen.complete.length).toBe(bytes);
      },
      dropped: (reason) => {
        expect(seen.dropped).toBeUndefined();
        seen.dropped = reason;
      },
    },
    cap,
  );
  return { copy, seen };
}

describe('BodyCopy', () => {
  it('keeps a copy of the chunks (not the caller buffers) and holds their bytes until released', () => {
    const budget = new MirrorBudget(1000);
    const { copy, seen } = copyOf(budget);
    const chunk = Buffer.from('hello ');
    copy.push(chunk);
    chunk.fill(0); // the socket reuses its buffer
    copy.push(Buffer.from('world'));
    expect(budget.bytes).toBe(11);
    copy.end();
    expect(seen.complete?.toString()).toBe('hello world');
    expect(budget.bytes).toBe(11);
    copy.release();
    expect(budget.bytes).toBe(0);
    copy.abandon(); // the exchange finishing after the body is complete drops nothing
    expect(seen.dropped).toBeUndefined();
  });

  it('drops a body over its cap and gives its bytes back', () => {
    const budget = new MirrorBudget();
    const { copy, seen } = copyOf(budget);
    copy.push(Buffer.alloc(MAX_MIRROR_BODY_BYTES));
    expect(budget.bytes).toBe(MAX_MIRROR_BODY_BYTES);
    copy.push(Buffer.alloc(1));
    expect(seen.dropped).toBe('too-large');
    expect(budget.bytes).toBe(0);
    copy.push(Buffer.alloc(1));
    copy.end();
    expect(seen.complete).toBeUndefined();
  });

  it('drops a body when the shared budget is spent; the others keep theirs', () => {
    const budget = new MirrorBudget(10);
    const a = copyOf(budget);
    const b = copyOf(budget);
    a.copy.push(Buffer.alloc(8));
    b.copy.push(Buffer.alloc(3));
    expect(b.seen.dropped).toBe('memory');
    expect(budget.bytes).toBe(8);
    a.copy.end();
    expect(a.seen.complete?.length).toBe(8);
  });

  it('drops a body whose exchange ended before it did', () => {
    const budget = new MirrorBudget(100);
    const { copy, seen } = copyOf(budget);
    copy.push(Buffer.alloc(5));
    copy.abandon();
    expect(seen.dropped).toBe('incomplete');
    expect(budget.bytes).toBe(0);
    copy.end();
    expect(seen.complete).toBeUndefined();
  });
});
