import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  formatTime,
  html,
  joinHtml,
  progressBar,
  truncate,
} from '../../../src/admin/html.js';

describe('escapeHtml', () => {
  it('escapes the characters Telegram HTML reads', () => {
    expect(escapeHtml('<b>Tom & "Jerry"</b>')).toBe(
      '&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;',
    );
  });

  it('leaves punctuation MarkdownV2 would choke on alone', () => {
    expect(escapeHtml('50% off (today only) - reply STOP.')).toBe(
      '50% off (today only) - reply STOP.',
    );
  });
});

describe('html', () => {
  it('escapes interpolated text and keeps the template markup', () => {
    expect(html`<b>${'a < b'}</b>`.value).toBe('<b>a &lt; b</b>');
  });

  it('inserts nested html as it is, joins arrays and drops null', () => {
    const inner = html`<i>${'x&y'}</i>`;
    expect(html`${inner} ${[1, ' & ', 2]}${null}`.value).toBe('<i>x&amp;y</i> 1 &amp; 2');
  });

  it('joins pieces with newlines', () => {
    expect(joinHtml([html`<b>a</b>`, html`${'<c>'}`]).value).toBe('<b>a</b>\n&lt;c&gt;');
  });
});

describe('formatTime', () => {
  it('shows a moment in the given zone', () => {
    expect(formatTime(new Date('2026-12-05T09:00:00Z'), 'Europe/Madrid')).toBe(
      'Sat 5 Dec 2026, 10:00',
    );
  });
});

describe('progressBar and truncate', () => {
  it('fills the share done', () => {
    expect(progressBar(3, 10)).toBe('▓▓▓░░░░░░░');
    expect(progressBar(0, 0)).toBe('░░░░░░░░░░');
  });

  it('cuts long text with an ellipsis and flattens whitespace', () => {
    expect(truncate('a  b\nc', 10)).toBe('a b c');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
  });
});
