import { describe, expect, it } from 'vitest';
import { temperatureAfterInbound } from '../../../src/domain/temperature.js';

const HOT = ['price', 'buy'];

describe('temperatureAfterInbound', () => {
  it('warms a cold lead on any reply', () => {
    expect(temperatureAfterInbound('cold', { isReply: true, text: 'thanks' }, HOT)).toBe('warm');
  });

  it('leaves a stranger’s first message cold', () => {
    expect(temperatureAfterInbound('cold', { isReply: false, text: 'info' }, HOT)).toBe('cold');
  });

  it('makes a lead hot on a hot keyword', () => {
    expect(temperatureAfterInbound('cold', { isReply: false, text: 'PRICE?' }, HOT)).toBe('hot');
    expect(temperatureAfterInbound('warm', { isReply: true, text: 'I want to buy' }, HOT)).toBe(
      'hot',
    );
  });

  it('never cools a lead', () => {
    expect(temperatureAfterInbound('hot', { isReply: true, text: 'ok' }, HOT)).toBe('hot');
  });
});
