import { describe, expect, it } from 'vitest';
import {
  isMatchableKeyword,
  isStopMessage,
  matchesAnyKeyword,
  matchesKeyword,
} from '../../../src/domain/keywords.js';

const STOP_WORDS = ['STOP', 'UNSUBSCRIBE', 'STOP ALL', 'OPT OUT', 'CANCEL'];

describe('matchesKeyword', () => {
  describe('exact', () => {
    it.each(['info', 'INFO', 'Info', '  info  ', 'info!', '¿info?', '"info".', '*info*'])(
      'matches %j as the keyword info',
      (text) => {
        expect(matchesKeyword(text, 'info', 'exact')).toBe(true);
      },
    );

    it('ignores accents on either side', () => {
      expect(matchesKeyword('Información', 'informacion', 'exact')).toBe(true);
      expect(matchesKeyword('informacion', 'INFORMACIÓN', 'exact')).toBe(true);
      expect(matchesKeyword('crème brûlée', 'creme brulee', 'exact')).toBe(true);
    });

    it('matches a keyword of several words with any spacing between them', () => {
      expect(matchesKeyword('More   Info!', 'more info', 'exact')).toBe(true);
    });

    it('refuses a message that says more than the keyword', () => {
      expect(matchesKeyword('info please', 'info', 'exact')).toBe(false);
      expect(matchesKeyword('more info', 'info', 'exact')).toBe(false);
    });

    it('refuses a different word', () => {
      expect(matchesKeyword('infos', 'info', 'exact')).toBe(false);
      expect(matchesKeyword('', 'info', 'exact')).toBe(false);
    });
  });

  describe('contains', () => {
    it('matches the keyword as a word anywhere in the message', () => {
      expect(matchesKeyword('Hi, can I get some INFO?', 'info', 'contains')).toBe(true);
      expect(matchesKeyword('info', 'info', 'contains')).toBe(true);
      expect(matchesKeyword('precio, por favor', 'PRECIO', 'contains')).toBe(true);
    });

    it('matches accented words against a plain keyword', () => {
      expect(matchesKeyword('¿Cuál es el menú?', 'menu', 'contains')).toBe(true);
    });

    it('matches the words of a longer keyword only when they are consecutive', () => {
      expect(matchesKeyword('I would like more info today', 'more info', 'contains')).toBe(true);
      expect(matchesKeyword('more details and info', 'more info', 'contains')).toBe(false);
    });

    it('does not match part of a longer word', () => {
      expect(matchesKeyword('that was informal', 'info', 'contains')).toBe(false);
      expect(matchesKeyword('buyer', 'buy', 'contains')).toBe(false);
    });
  });

  it('never matches a keyword without letters or digits', () => {
    expect(isMatchableKeyword('!!!')).toBe(false);
    expect(matchesKeyword('!!!', '!!!', 'exact')).toBe(false);
    expect(isMatchableKeyword('info')).toBe(true);
  });
});

describe('matchesAnyKeyword', () => {
  it('matches when one keyword of the list matches', () => {
    expect(matchesAnyKeyword('Price?', ['buy', 'price'], 'contains')).toBe(true);
    expect(matchesAnyKeyword('hello', ['buy', 'price'], 'contains')).toBe(false);
    expect(matchesAnyKeyword('hello', [], 'contains')).toBe(false);
  });
});

describe('isStopMessage', () => {
  it.each(['STOP', 'stop', 'Stop.', ' stop! ', 'Opt out', 'opt-out', 'stop all', 'Unsubscribe'])(
    'treats %j as an opt-out',
    (text) => {
      expect(isStopMessage(text, STOP_WORDS)).toBe(true);
    },
  );

  it.each(['please stop sending me things', 'stopped', "don't stop", 'stop it'])(
    'does not treat %j as an opt-out: the whole message must be a stop word',
    (text) => {
      expect(isStopMessage(text, STOP_WORDS)).toBe(false);
    },
  );
});
