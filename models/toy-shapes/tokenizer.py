"""A CLIP-format BPE vocabulary for the toy world, and a small reimplementation of the CLIP BPE
tokenizer (the rules in shared/clip-tokenizer/README.md) to check it.

The vocabulary is laid out the way CLIP's is:
    ids 0..255      the 256 byte symbols of the GPT-2 byte-to-unicode table
    ids 256..511    the same symbols followed by "</w>"
    ids 512..       one entry per merge rule (the two halves joined), in merges.txt order
    last two ids    "<|startoftext|>" (BOS), "<|endoftext|>" (EOS, also the padding token)
The merges are learned with ordinary BPE training on the caption words and continued until every
caption word is a single symbol, so a standard CLIP BPE tokenizer maps each caption word to exactly one
token. Any other text still tokenizes (down to single byte symbols).
"""
import json
import re
import unicodedata
from collections import Counter

BOS, EOS = "<|startoftext|>", "<|endoftext|>"


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _word_symbols(word):
    be = bytes_to_unicode()
    chars = [be[b] for b in word.encode("utf-8")]
    return chars[:-1] + [chars[-1] + "</w>"]


def learn_merges(words):
    """BPE training on a list of distinct words (each counted once) until every word is one symbol.
    Ties between equally frequent pairs are broken lexicographically, so the result is deterministic."""
    seqs = [_word_symbols(w) for w in sorted(set(words))]
    merges = []
    while True:
        pairs = Counter()
        for s in seqs:
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += 1
        if not pairs:
            break
        best = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        merges.append(best)
        new = []
        for s in seqs:
            out, i = [], 0
            while i < len(s):
                if i < len(s) - 1 and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            new.append(out)
        seqs = new
    return merges


def build_vocab(merges):
    be = bytes_to_unicode()
    syms = list(be.values())
    vocab = syms + [s + "</w>" for s in syms]
    for a, b in merges:
        vocab.append(a + b)
    vocab += [BOS, EOS]
    return {t: i for i, t in enumerate(vocab)}


def write_files(out_dir, words):
    merges = learn_merges(words)
    vocab = build_vocab(merges)
    with open(f"{out_dir}/vocab.json", "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(f"{out_dir}/merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    return vocab, merges


# ----------------------------------------------------------------------------- CLIP BPE (check)

_PAT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+",
                  re.IGNORECASE)


class ClipTokenizer:
    """CLIP BPE per shared/clip-tokenizer/README.md (no ftfy path). Python's `re` lacks \\p{L};
    `[^\\W\\d_]+` is letters, which covers everything the toy world and the checks need."""

    def __init__(self, vocab_path, merges_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(merges_path, encoding="utf-8") as f:
            lines = f.read().strip().split("\n")[1:49152 - 256 - 2 + 1]
        self.ranks = {tuple(l.split()): i for i, l in enumerate(lines)}
        self.be = bytes_to_unicode()
        self.bos, self.eos = self.encoder[BOS], self.encoder[EOS]
        self.cache = {}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            bigram = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if bigram not in self.ranks:
                break
            first, second = bigram
            new, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new.extend(word[i:])
                    break
                new.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new.append(first + second)
                    i += 2
                else:
                    new.append(word[i])
                    i += 1
            word = tuple(new)
        self.cache[token] = list(word)
        return list(word)

    def tokens(self, text):
        text = unicodedata.normalize("NFC", " ".join(text.split())).lower()
        out = []
        for chunk in _PAT.findall(text):
            chunk = "".join(self.be[b] for b in chunk.encode("utf-8"))
            out.extend(self.bpe(chunk))
        return out

    def __call__(self, text, max_length=77):
        ids = [self.encoder[t] for t in self.tokens(text)][: max_length - 2]
        ids = [self.bos] + ids + [self.eos]
        return ids + [self.eos] * (max_length - len(ids))


if __name__ == "__main__":
    import sys
    import toyworld
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    vocab, merges = write_files(out, toyworld.caption_words())
    tok = ClipTokenizer(f"{out}/vocab.json", f"{out}/merges.txt")
    for w in toyworld.caption_words():
        t = tok.tokens(w)
        assert len(t) == 1 and t[0] == w + "</w>", (w, t)
    for s in range(2000):
        cap = toyworld.make_sample(s)[1]
        assert len(tok.tokens(cap)) == len(cap.split()), cap
    print(f"vocab {len(vocab)} entries, {len(merges)} merges; every caption word is one token")
    print(toyworld.make_sample(1)[1], "->", tok(toyworld.make_sample(1)[1])[:16])
