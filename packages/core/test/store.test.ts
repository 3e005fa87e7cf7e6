import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStore, openJsonlStore, type JournalDurability, type JobStore } from '@kiln/core';
import { testJobStore } from './contract/store-contract.js';

testJobStore('memory', async () => ({ store: memoryStore() }));

for (const durability of ['fsync', 'group', 'none'] as JournalDurability[]) {
  testJobStore(`jsonl (${durability})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-jsonl-'));
    let store: JobStore = await openJsonlStore({ dir, durability });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await openJsonlStore({ dir, durability });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

testJobStore('jsonl compacting after every commit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-jsonl-'));
  let store: JobStore = await openJsonlStore({ dir, compactBytes: 1 });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openJsonlStore({ dir, compactBytes: 1 });
      return store;
    },
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
