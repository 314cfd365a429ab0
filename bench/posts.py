"""A deterministic, mixed-language file of realistic posts for the benchmarks.

Captions are assembled from per-language fragments: everyday sentences, emoji, hashtags, brand
mentions, and (for some) labels, discount codes and affiliate links, so the engine does the same
work it does on real captions. Seeded: the same file every run.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

SENTENCES = {
    "en": ["Had the best weekend hiking with the family", "Morning routine before work, coffee first",
           "This serum changed my skin honestly", "Sunday reset: clean sheets and fresh flowers",
           "Can't believe how comfy these trainers are", "Trying the new autumn menu today",
           "Packing for our trip to the coast", "My go-to lipstick for every occasion"],
    "nb": ["For en fin tur i fjellet i dag", "Morgenkaffen på hytta smaker best",
           "Nye løpesko til høstens turer", "Endelig helg med familien", "Denne kremen har reddet huden min"],
    "sv": ["Vilken härlig dag vid havet", "Mina nya skor är så sköna", "Helgens bästa frukost",
           "Äntligen fredag med vännerna"],
    "da": ["Sikke en dejlig dag ved vandet", "Mine nye sko er så gode", "Weekendens bedste morgenmad"],
    "fi": ["Ihana päivä järven rannalla", "Uudet kengät ovat tosi mukavat", "Viikonlopun paras aamiainen"],
    "de": ["Was für ein schöner Tag am See", "Meine neuen Schuhe sind so bequem",
           "Das beste Frühstück am Wochenende", "Endlich Urlaub mit der Familie"],
    "fr": ["Quelle belle journée au bord de la mer", "Mes nouvelles chaussures sont si confortables",
           "Le meilleur petit-déjeuner du week-end"],
    "nl": ["Wat een mooie dag aan het strand", "Mijn nieuwe schoenen zitten zo lekker",
           "Het beste ontbijt van het weekend"],
    "es": ["Qué día tan bonito en la playa", "Mis zapatillas nuevas son comodísimas",
           "El mejor desayuno del fin de semana"],
    "it": ["Che bella giornata al mare", "Le mie nuove scarpe sono comodissime",
           "La colazione migliore del weekend"],
    "pl": ["Co za piękny dzień nad morzem", "Moje nowe buty są bardzo wygodne", "Najlepsze śniadanie weekendu"],
    "pt": ["Que dia lindo na praia", "Meus tênis novos são muito confortáveis", "O melhor café da manhã do fim de semana"],
    "tl": ["Ang saya ng weekend namin sa beach", "Sobrang comfy ng bagong sapatos ko",
           "Best breakfast ever ngayong weekend"],
}
LABELS = {
    "en": ["#ad", "Ad:", "AD |", "#sponsored", "#sp", "#collab", "thanks @{brand} for sending", "(gifted)"],
    "nb": ["Reklame for @{brand}", "#reklame", "annonse", "#samarbeid", "#ad"],
    "sv": ["Reklam för @{brand}", "#reklam", "#samarbete", "#ad"],
    "da": ["Reklame for @{brand}", "#annonce", "#spons", "#ad"],
    "fi": ["Mainos @{brand}", "#mainos", "#yhteistyö", "#ad"],
    "de": ["Werbung", "#anzeige", "#werbung", "#ad", "powered by @{brand}"],
    "fr": ["Publicité", "#collaborationcommerciale", "#sponsorisé", "#ad"],
    "nl": ["#advertentie", "#spon", "Betaald partnerschap met @{brand}", "#ad"],
    "es": ["#publi", "publicidad", "en colaboración con @{brand}", "#ad"],
    "it": ["#adv", "Pubblicità", "Sponsorizzato da @{brand}", "#ad"],
    "pl": ["#reklama", "[REKLAMA]", "#współpraca", "#ad"],
    "pt": ["#publi", "publicidade", "#parceria", "#ad"],
    "tl": ["#ad", "Sponsored", "salamat @{brand}", "#collab"],
}
CODES = {"en": "use my code {code} for 20% off", "nb": "bruk koden min {code}", "sv": "använd min kod {code}",
         "da": "brug min kode {code}", "fi": "koodilla {code}", "de": "mit meinem Code {code}",
         "fr": "code promo {code}", "nl": "kortingscode {code}", "es": "código {code}", "it": "codice sconto {code}",
         "pl": "kod rabatowy {code}", "pt": "cupom {code}", "tl": "gamitin ang code ko {code}"}
LINKS = ["https://www.amazon.com/dp/B08XYZ?tag=me-20", "https://rstyle.me/+abc123", "amzn.to/3xYzAb",
         "https://example.com/blog/post", "https://shopmy.us/collections/123", "https://bit.ly/4abc"]
HASHTAGS = ["#ootd", "#fashion", "#travel", "#food", "#fitness", "#skincare", "#love", "#weekend", "#adventure",
            "#adidas", "#nature", "#family", "#coffee", "#running"]
EMOJI = ["✨", "😍", "🔥", "☀️", "🍂", "💄", "🏃‍♀️", "❤️", "🌊", "☕"]
COUNTRY_LANG = {"US": "en", "GB": "en", "IE": "en", "AU": "en", "CA": "en", "IN": "en", "NO": "nb", "SE": "sv",
                "DK": "da", "FI": "fi", "DE": "de", "AT": "de", "FR": "fr", "BE": "fr", "NL": "nl", "ES": "es",
                "IT": "it", "PL": "pl", "BR": "pt", "PT": "pt", "PH": "tl"}
PLATFORMS = ["instagram"] * 5 + ["tiktok"] * 3 + ["youtube", "facebook", "x", "blog"]


def make_posts(n: int, countries: list[str], seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    usable = [c for c in countries if c in COUNTRY_LANG]
    posts = []
    for i in range(n):
        country = rng.choice(usable)
        lang = COUNTRY_LANG[country]
        brand = rng.choice(["glowlab", "nordicrun", "fitgear", "cafe_lumiere", "rougelondon", "bloomco"])
        parts = [rng.choice(SENTENCES[lang]) + rng.choice([".", "!", " " + rng.choice(EMOJI)])
                 for _ in range(rng.randint(1, 4))]
        roll = rng.random()
        if roll < 0.35:
            label = rng.choice(LABELS[lang]).format(brand=brand)
            parts.insert(0 if rng.random() < 0.6 else len(parts), label)
        if rng.random() < 0.25:
            parts.append(CODES[lang].format(code=brand[:4].upper() + str(rng.randint(10, 30))))
        if rng.random() < 0.2:
            parts.append(rng.choice(LINKS))
        if rng.random() < 0.5:
            parts.insert(rng.randint(0, len(parts)), f"@{brand}")
        tags = rng.sample(HASHTAGS, rng.randint(0, 6))
        text = " ".join(parts) + ("\n\n" + " ".join(tags) if tags else "")
        post = {"id": f"b{i}", "countries": [country], "platform": rng.choice(PLATFORMS), "text": text}
        if rng.random() < 0.3:
            post["relationship"] = [rng.choice(["paid", "gifted", "affiliate", "none"])]
        if rng.random() < 0.05:
            post["countries"].append(rng.choice(usable))
            post["countries"] = sorted(set(post["countries"]))
        posts.append(post)
    return posts


def write_posts(path: Path, n: int, countries: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for post in make_posts(n, countries):
            fh.write(json.dumps(post, ensure_ascii=False) + "\n")
    return path
