import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleSweeper } from '../../src/limits/idle-sweeper.js';
import { until } from '../helpers/net.js';

describe('IdleSweeper', () => {
  it('reports an item whose activity stops, and not one that keeps moving', async () => {
    const idle: string[] = [];
    const sweeper = new IdleSweeper<{ name: string; n: number; activity(): number }>(60, (item) => idle.push(item.name));
    const still = { name: 'still', n: 0, activity: () => still.n };
    const busy = { name: 'busy', n: 0, activity: () => busy.n };
    sweeper.add(still);
    sweeper.add(busy);
    const mover = setInterval(() => busy.n++, 10);
    await until(() => idle.length > 0, 2000, 'the idle item');
    assert.deepEqual(idle, ['still']);
    clearInterval(mover);
    await until(() => idle.length > 1, 2000, 'the second item to go idle');
    assert.deepEqual(idle, ['still', 'busy']);
    sweeper.stop();
  });

  it('does nothing when disabled (0)', () => {
    const sweeper = new IdleSweeper(0, () => assert.fail('never'));
    sweeper.add({ activity: () => 0 });
    sweeper.stop();
  });
});
