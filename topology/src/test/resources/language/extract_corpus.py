"""Builds corpus.tsv (language TAB text) from the gettext catalogues of Debian's wesnoth-1.16-data package.

    apt-get download wesnoth-1.16-data      # 1:1.16.9-1, Debian 12
    dpkg-deb --fsys-tarfile wesnoth-1.16-data_*.deb | tar -x -C wes './usr/share/games/wesnoth/1.16/locale'
    python3 extract_corpus.py wes/usr/share/games/wesnoth/1.16/locale 120 > corpus.tsv

With a third argument N, prints N further texts per language after those, disjoint from the corpus (the sample
the detector's thresholds were chosen on).
"""
import gettext, os, re, sys, collections, random
root = sys.argv[1]
LANGS = {'en','de','fr','es','pt','it','nl','pl','cs','sk','hu','ro','bg','hr','sv','da','nb','fi','el','tr','ru','uk','zh','ja','ko','ar','he','hi','th','vi','id'}
def tag(d):
    if '@' in d: return None
    p = d.split('_')[0]
    return p if p in LANGS else None
BAD = re.compile(r'[$%{}<>\[\]@\\|^_=#*/~`]|&[a-zA-Z#]|https?:|\.\w{2,4}\b(?=\s|$)|\n|\t|\s{2}')
NOSPACE = re.compile(r'[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]')
MAP_TITLE = re.compile(r'^\(?\d+\w{0,3}\)?\s*[—–-]')
def ok(s):
    s = s.strip()
    if MAP_TITLE.search(s): return False  # multiplayer map titles, "2p — Name": names, not sentences
    if not s or len(s) > 80 or BAD.search(s): return False
    letters = sum(1 for c in s if c.isalpha())
    if NOSPACE.search(s):
        return letters >= 6
    return letters >= 12 and len(s.split()) >= 3
texts = collections.defaultdict(set)
for d in sorted(os.listdir(root)):
    t = tag(d)
    if not t: continue
    lm = os.path.join(root, d, 'LC_MESSAGES')
    for f in sorted(os.listdir(lm)):
        with open(os.path.join(lm, f), 'rb') as fp:
            cat = gettext.GNUTranslations(fp)._catalog
        for k, v in cat.items():
            if isinstance(k, tuple): k = k[0]  # plural forms
            if not k: continue
            if ok(v) and v.strip() != k.strip(): texts[t].add(v.strip())
            if ok(k): texts['en'].add(k.strip())
# A text found in more than one language's catalogue is a name or an untranslated string, not a translation.
seen = collections.Counter(t for v in texts.values() for t in v)
for lang in texts:
    texts[lang] = {t for t in texts[lang] if seen[t] == 1}
per = int(sys.argv[2]) if len(sys.argv) > 2 else 0
if per == 0:
    print(sorted(((l, len(v)) for l, v in texts.items()), key=lambda x: -x[1])); sys.exit()
rnd = random.Random(16)
for lang in sorted(texts):
    chosen = sorted(texts[lang]); rnd.shuffle(chosen)
    part = chosen[:per] if len(sys.argv) < 4 else chosen[per:per + int(sys.argv[3])]
    for text in sorted(part):
        print(f"{lang}\t{text}")
