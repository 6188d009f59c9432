// The kernel event contract (KERNELS.md) as the activity enforces it, and cell keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelContractError, parseEventLine } from '../../activities/kernel-events.ts';
import { canonicalJson, cellKey } from '../../activities/cell-key.ts';

test('valid events parse', () => {
  const start = parseEventLine('{"event":"start","kernel":"hamming","version":"0.3.0","device":{"kind":"cuda","name":"NVIDIA H100 80GB HBM3","cc":"9.0"},"build":{"git":"abc123","flags":"-O3 -arch=sm_90"}}', 1);
  assert.equal(start.event, 'start');
  const m = parseEventLine('{"event":"metric","name":"overlap_at_k","value":0.973,"tags":{"bits":256,"k":10}}', 2);
  assert.deepEqual(m, { event: 'metric', name: 'overlap_at_k', value: 0.973, tags: { bits: 256, k: 10 } });
  assert.equal(parseEventLine('{"event":"end","status":"ok","elapsed_s":12.3}', 3).event, 'end');
});

test('invalid lines are contract violations naming the line and the problem', () => {
  assert.throws(() => parseEventLine('not json', 7), (e: Error) => e instanceof KernelContractError && /line 7 is not JSON/.test(e.message));
  assert.throws(() => parseEventLine('{"event":"metric","name":"Overlap@10","value":1}', 3), /snake_case/);
  assert.throws(() => parseEventLine('{"event":"metric","name":"x","value":"NaN"}', 3), /value/);
  assert.throws(() => parseEventLine('{"event":"metric","name":"x","value":1e999}', 3), /value: .*Infinity/);
  assert.throws(() => parseEventLine('{"event":"bogus"}', 4), /not a valid event/);
});

test('cell keys are stable under key order and change with any coordinate', () => {
  const base = { kernel: 'hamming', kernelVersion: '0.1.0', variant: 'rhp', params: { bits: 64, ks: [10, 50] }, seed: 1, gpu: 'cpu' };
  assert.equal(cellKey(base), cellKey({ ...base, params: { ks: [10, 50], bits: 64 } }));
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } }), '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  for (const change of [{ seed: 2 }, { gpu: 'h100' }, { kernelVersion: '0.2.0' }, { variant: 'itq' }, { params: { bits: 128, ks: [10, 50] } }]) {
    assert.notEqual(cellKey(base), cellKey({ ...base, ...change }));
  }
});

test('values events carry per-unit values with distinct ids, one per value', () => {
  const v = parseEventLine('{"event":"values","name":"overlap_at_k","unit":"query","tags":{"k":10},"ids":["q1","q2",3],"values":[0.5,1,0.25]}', 1);
  assert.deepEqual(v, { event: 'values', name: 'overlap_at_k', unit: 'query', tags: { k: 10 }, ids: ['q1', 'q2', 3], values: [0.5, 1, 0.25] });
  assert.throws(() => parseEventLine('{"event":"values","name":"x","unit":"query","ids":["a","b"],"values":[1]}', 2), /same length/);
  assert.throws(() => parseEventLine('{"event":"values","name":"x","unit":"query","ids":["a","a"],"values":[1,2]}', 3), /distinct/);
  assert.throws(() => parseEventLine('{"event":"values","name":"x","unit":"Query","ids":["a"],"values":[1]}', 4), /unit names/);
  assert.throws(() => parseEventLine('{"event":"values","name":"x","unit":"query","ids":["a"],"values":[1e999]}', 5), /finite|Infinity/);
});
