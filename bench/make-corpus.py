#!/usr/bin/env python3
"""Writes SIZE bytes of deterministic English-like text to OUT for bench/train-large: sentences of
4 to 24 words drawn from the CMU dictionary's words with Zipf frequencies (rank r has weight
1/r, the ranks a fixed shuffle of the dictionary), so that the text has natural-looking
n-gram statistics: a few words very common, most rare. Same SIZE, same bytes.
Usage: make-corpus.py SIZE_BYTES OUT"""
import itertools, random, sys

size, out = int(sys.argv[1]), sys.argv[2]
dictionary = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'
words = sorted({w for w in (line.split()[0].split('(')[0] for line in open(dictionary, encoding='utf-8'))
                if w.replace("'", '').isalpha()})
rng = random.Random(14)
rng.shuffle(words)
cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(words))))
written = 0
with open(out, 'w', encoding='ascii') as f:
    while written < size:
        block = '\n'.join(' '.join(rng.choices(words, cum_weights=cumulative, k=rng.randint(4, 24)))
                          for _ in range(1000)) + '\n'
        if written + len(block) > size:
            block = block[:block.rfind('\n', 0, size - written) + 1] or block[:block.find('\n') + 1]
        f.write(block)
        written += len(block)
