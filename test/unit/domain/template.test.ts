import { describe, expect, it } from 'vitest';
import {
  previewTemplate,
  renderTemplate,
  seededRandom,
  validateTemplate,
} from '../../../src/domain/template.js';

const ANA = { name: 'Ana María López', phone: '+34600111222' };
const NAMELESS = { name: '', phone: '+34600111333' };

describe('renderTemplate', () => {
  describe('placeholders', () => {
    it('fills name, first name and phone', () => {
      expect(renderTemplate('{{name}} / {{first_name}} / {{phone}}', ANA)).toBe(
        'Ana María López / Ana / +34600111222',
      );
    });

    it('accepts spaces and capitals inside the braces', () => {
      expect(renderTemplate('Hi {{ First_Name }}!', ANA)).toBe('Hi Ana!');
    });

    it('uses the fallback when the lead has no name', () => {
      expect(renderTemplate('Hi {{first_name|there}}!', NAMELESS)).toBe('Hi there!');
      expect(renderTemplate('Hi {{first_name|there}}!', ANA)).toBe('Hi Ana!');
    });

    it('renders an empty value with no fallback as nothing', () => {
      expect(renderTemplate('Hi {{name}}.', NAMELESS)).toBe('Hi .');
    });
  });

  describe('spintax', () => {
    it('picks one option per group with the given random source', () => {
      expect(renderTemplate('{Hi|Hello|Hey} you', ANA, () => 0)).toBe('Hi you');
      expect(renderTemplate('{Hi|Hello|Hey} you', ANA, () => 0.5)).toBe('Hello you');
      expect(renderTemplate('{Hi|Hello|Hey} you', ANA, () => 0.99)).toBe('Hey you');
    });

    it('nests, and placeholders work inside options', () => {
      const text = '{Hi {{first_name}}|{Good morning|Good day}, {{first_name}}}';
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) seen.add(renderTemplate(text, ANA, seededRandom(`lead-${i}`)));
      expect(seen).toEqual(new Set(['Hi Ana', 'Good morning, Ana', 'Good day, Ana']));
    });

    it('spreads the options over many leads', () => {
      const counts: Record<string, number> = { Hi: 0, Hello: 0, Hey: 0 };
      for (let i = 0; i < 900; i++) {
        const word = renderTemplate('{Hi|Hello|Hey}', ANA, seededRandom(`campaign:lead-${i}`));
        counts[word]! += 1;
      }
      for (const count of Object.values(counts)) {
        expect(count).toBeGreaterThan(240);
        expect(count).toBeLessThan(360);
      }
    });

    it('renders the same text again for the same seed', () => {
      const text = '{Hi|Hello|Hey} {friend|there}, {new|fresh} {offers|deals}';
      const first = renderTemplate(text, ANA, seededRandom('c1:l1'));
      for (let i = 0; i < 5; i++) {
        expect(renderTemplate(text, ANA, seededRandom('c1:l1'))).toBe(first);
      }
    });
  });
});

describe('previewTemplate', () => {
  it('renders for a sample lead, the same each time', () => {
    const text = '{Hi|Hello} {{first_name|there}}, call {{phone}}';
    expect(previewTemplate(text)).toMatch(/^(Hi|Hello) Maria, call \+12015550123$/);
    expect(previewTemplate(text)).toBe(previewTemplate(text));
  });
});

describe('validateTemplate', () => {
  it('accepts a valid template', () => {
    expect(validateTemplate('{Hi|Hello} {{first_name|there}}, {{phone}}')).toEqual([]);
  });

  it('names an unknown placeholder and the valid ones', () => {
    expect(validateTemplate('Hi {{frist_name}}')).toEqual([
      'unknown placeholder {{frist_name}}: use {{name}}, {{first_name}} or {{phone}}',
    ]);
  });

  it('says where an unclosed brace opens', () => {
    expect(validateTemplate('{Hi|Hello there')).toEqual([
      'the "{" at character 1 is never closed with "}"',
    ]);
    expect(validateTemplate('Hi {{name')).toEqual([
      'the "{{" at character 4 is never closed with "}}"',
    ]);
  });

  it('says where a stray closing brace is', () => {
    expect(validateTemplate('Hi} there')).toEqual(['the "}" at character 3 has no "{" before it']);
  });
});
