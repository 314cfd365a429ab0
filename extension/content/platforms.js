// Reading a post on Instagram, TikTok and YouTube pages: which post the URL is, its caption or
// description, and whether the platform's own paid-partnership label is shown.
//
// A plain script (no import/export) so that it runs as a content script, can be injected with
// chrome.scripting.executeScript({files}), and can also be imported for its side effect by the
// service worker and the unit tests. It defines globalThis.AuditorPlatforms and nothing else.
// The platforms change their markup often: every field has fallbacks down to the page's
// <meta> tags, and the popup lets the user correct what was read.
(function defineAuditorPlatforms(root) {
  'use strict';

  const POST_PAGES = [
    {
      platform: 'instagram',
      host: /^(www\.)?instagram\.com$/,
      path: /^\/(?:[A-Za-z0-9._]+\/)?(p|reel|reels|tv)\/([A-Za-z0-9_-]+)\/?/,
      format: (m) => (m[1] === 'p' ? 'post' : 'reel'),
    },
    {
      platform: 'tiktok',
      host: /^(www\.)?tiktok\.com$/,
      path: /^\/@[^/]+\/(video|photo)\/(\d+)/,
      format: (m) => (m[1] === 'photo' ? 'carousel' : 'video'),
    },
    {
      platform: 'youtube',
      host: /^(www\.|m\.)?youtube\.com$/,
      path: /^\/(shorts)\/([A-Za-z0-9_-]+)/,
      format: () => 'short',
    },
  ];

  /** {platform, format, id} when `url` is a post page we read, else null. */
  function detect(url) {
    let u;
    try {
      u = new URL(String(url));
    } catch {
      return null;
    }
    if (u.protocol !== 'https:') return null;
    if (/^(www\.|m\.)?youtube\.com$/.test(u.hostname) && u.pathname === '/watch') {
      const id = u.searchParams.get('v');
      return id ? { platform: 'youtube', format: 'video', id } : null;
    }
    for (const page of POST_PAGES) {
      if (!page.host.test(u.hostname)) continue;
      const m = page.path.exec(u.pathname);
      if (m) return { platform: page.platform, format: page.format(m), id: m[2] };
    }
    return null;
  }

  /** Which platform a host belongs to (also for non-post pages), or null. */
  function platformOfHost(url) {
    try {
      const host = new URL(String(url)).hostname;
      if (/(^|\.)instagram\.com$/.test(host)) return 'instagram';
      if (/(^|\.)tiktok\.com$/.test(host)) return 'tiktok';
      if (/(^|\.)youtube\.com$/.test(host) || host === 'youtu.be') return 'youtube';
      if (/(^|\.)facebook\.com$/.test(host)) return 'facebook';
      if (/(^|\.)threads\.(net|com)$/.test(host)) return 'threads';
      if (/(^|\.)(x|twitter)\.com$/.test(host)) return 'x';
      if (/(^|\.)pinterest\.[a-z.]+$/.test(host)) return 'pinterest';
      if (/(^|\.)linkedin\.com$/.test(host)) return 'linkedin';
      if (/(^|\.)twitch\.tv$/.test(host)) return 'twitch';
      if (/(^|\.)snapchat\.com$/.test(host)) return 'snapchat';
    } catch {
      // not a URL
    }
    return null;
  }

  // The platforms' own labels, in the languages their interfaces show them. Group 1, when
  // present, is the brand ("Paid partnership with nike").
  const PAID_LABELS = [
    /^paid partnership(?: with (.+))?$/i,
    /^includes paid promotion$/i,
    /^paid promotion$/i,
    /^betalt partnerskap(?: med (.+))?$/i,        // nb, sv
    /^betalt partnerskab(?: med (.+))?$/i,        // da
    /^bezahlte partnerschaft(?: mit (.+))?$/i,    // de
    /^betaald partnerschap(?: met (.+))?$/i,      // nl
    /^partenariat rémunéré(?: avec (.+))?$/i,     // fr
    /^colaboración pagada(?: con (.+))?$/i,       // es
    /^partnership pagata(?: con (.+))?$/i,        // it
    /^parceria paga(?: com (.+))?$/i,             // pt
    /^płatna współpraca(?: z (.+))?$/i,           // pl
    /^maksettu kumppanuus(?: (.+))?$/i,           // fi
    /^enthält bezahlte werbung$/i,                // YouTube de
    /^inneholder betalt reklame$/i,               // YouTube nb
    /^innehåller betald reklam$/i,                // YouTube sv
    /^indeholder betalt promovering$/i,           // YouTube da
    /^bevat betaalde promotie$/i,                 // YouTube nl
    /^inclut une communication commerciale$/i,    // YouTube fr
    /^incluye promoción pagada$/i,                // YouTube es
    /^include promozione a pagamento$/i,          // YouTube it
  ];

  function squash(text) {
    return String(text ?? '').replace(/\s+/g, ' ').trim();
  }

  /** {label, brand} when `text` is one of the platforms' paid-partnership labels, else null. */
  function matchPaidLabel(text) {
    const t = squash(text);
    if (!t || t.length > 120) return null;
    for (const re of PAID_LABELS) {
      const m = re.exec(t);
      if (m) return { label: t, brand: m[1] ? squash(m[1]).replace(/^@/, '') : null };
    }
    return null;
  }

  /** Tidy a caption read from the page: no "… more" / "Show less" controls, no stray blanks. */
  function cleanCaption(text) {
    let t = String(text ?? '').replace(/\r\n?/g, '\n').replace(/\u00a0/g, ' ');
    t = t.replace(/[ \t]*(?:…|\.\.\.)\s*(?:more|mer|mehr|plus|más|meer)\s*$/i, '');
    t = t.replace(/\n?\s*(?:show less|vis mindre|weniger anzeigen|afficher moins)\s*$/i, '');
    t = t.split('\n').map((line) => line.replace(/[ \t]+$/g, '')).join('\n');
    return t.replace(/\n{3,}/g, '\n\n').trim();
  }

  /** The caption in an Instagram og:description: '12 likes, 3 comments - user on May 1, 2024: "…".' */
  function captionFromInstagramMeta(content) {
    const t = String(content ?? '');
    const m = /:\s*"([\s\S]*)"\s*\.?\s*$/.exec(t);
    return m ? m[1] : null;
  }

  function metaContent(doc, selector) {
    const el = doc.querySelector(selector);
    const value = el && el.getAttribute('content');
    return value && value.trim() ? value : null;
  }

  function textOf(el) {
    if (!el) return '';
    // innerText keeps the line breaks a person sees; textContent is the fallback (detached nodes).
    const t = typeof el.innerText === 'string' && el.innerText.trim() ? el.innerText : el.textContent;
    return cleanCaption(t || '');
  }

  function firstText(doc, selectors) {
    for (const sel of selectors) {
      for (const el of doc.querySelectorAll(sel)) {
        const t = textOf(el);
        if (t) return t;
      }
    }
    return '';
  }

  /** Look for a paid-partnership label among the short texts under the given roots. */
  function findPaidLabel(doc, rootSelectors) {
    for (const sel of rootSelectors) {
      for (const rootEl of doc.querySelectorAll(sel)) {
        const candidates = [rootEl, ...rootEl.querySelectorAll('*')];
        for (const el of candidates) {
          const t = el.textContent;
          if (!t || t.length > 120) continue;
          const hit = matchPaidLabel(t);
          if (hit) return hit;
        }
      }
    }
    return null;
  }

  function extractInstagram(doc) {
    const scope = ['main article', 'main', 'article'];
    let text = firstText(doc, scope.map((s) => `${s} h1`));
    if (!text) text = captionFromInstagramMeta(metaContent(doc, 'meta[property="og:description"]')) || '';
    if (!text) text = captionFromInstagramMeta(metaContent(doc, 'meta[property="og:title"]')) || '';
    const label = findPaidLabel(doc, ['main header', 'article header', 'header']);
    const structureSeen = Boolean(doc.querySelector('main header, article header'));
    return { text: cleanCaption(text), label, structureSeen };
  }

  function extractTikTok(doc) {
    let text = firstText(doc, ['[data-e2e="browse-video-desc"]', '[data-e2e="video-desc"]',
      '[data-e2e="photo-desc"]']);
    if (!text) text = metaContent(doc, 'meta[property="og:description"]') || metaContent(doc, 'meta[name="description"]') || '';
    const label = findPaidLabel(doc, ['[data-e2e="browse-video-desc"]', '[data-e2e="video-desc"]',
      '[data-e2e="ad-label"]', '[data-e2e="video-info"]', 'main']);
    const structureSeen = Boolean(doc.querySelector('[data-e2e="browse-video-desc"], [data-e2e="video-desc"]'));
    return { text: cleanCaption(text), label, structureSeen };
  }

  function youtubePlayerResponseSaysPaid(doc, videoId) {
    for (const script of doc.querySelectorAll('script')) {
      const src = script.textContent || '';
      if (!src.includes('ytInitialPlayerResponse')) continue;
      // Only trust the embedded data when it is about the video in the URL (after in-page
      // navigation it describes the first video of the session).
      if (videoId && !src.includes(`"videoId":"${videoId}"`)) return null;
      return src.includes('"paidContentOverlay"');
    }
    return null;
  }

  function extractYouTube(doc, found) {
    const isShort = found.format === 'short';
    const title = isShort
      ? firstText(doc, ['ytd-reel-video-renderer[is-active] h2', 'yt-shorts-video-title-view-model h2',
        '#shorts-player h2'])
      : firstText(doc, ['h1.ytd-watch-metadata', '#title h1', 'ytd-watch-metadata h1', 'h1.title']);
    const description = isShort
      ? firstText(doc, ['ytd-reel-video-renderer[is-active] #description', '#shorts-description'])
      : firstText(doc, ['#description-inline-expander yt-attributed-string',
        '#description-inline-expander', 'ytd-text-inline-expander', '#description yt-formatted-string',
        '#description']);
    let text = [title, description].filter(Boolean).join('\n\n');
    if (!text) {
      const metaTitle = metaContent(doc, 'meta[name="title"]') || metaContent(doc, 'meta[property="og:title"]') || '';
      const metaDesc = metaContent(doc, 'meta[name="description"]') || metaContent(doc, 'meta[property="og:description"]') || '';
      text = [metaTitle, metaDesc].filter(Boolean).join('\n\n');
    }
    let label = findPaidLabel(doc, ['.ytp-paid-content-overlay', '.ytp-paid-content-overlay-text',
      'ytd-paid-content-overlay-renderer', 'ytm-paid-content-overlay-renderer']);
    if (!label && youtubePlayerResponseSaysPaid(doc, found.id)) {
      label = { label: 'Includes paid promotion', brand: null };
    }
    const structureSeen = Boolean(doc.querySelector('#movie_player, ytd-player, #shorts-player'));
    return { text: cleanCaption(text), label, structureSeen };
  }

  /**
   * Read the post on the page. Returns
   * {platform, format, text, platform_label, label_text, brand, url} or null when `url` is not a
   * post page. platform_label is true when the label is shown, false when the part of the page
   * where it would be was found without it, null when the page could not be read that far.
   */
  function extract(doc, url) {
    const found = detect(url);
    if (!found) return null;
    const read = found.platform === 'instagram' ? extractInstagram(doc)
      : found.platform === 'tiktok' ? extractTikTok(doc)
        : extractYouTube(doc, found);
    let platformLabel = null;
    if (read.label) platformLabel = true;
    else if (read.structureSeen) platformLabel = false;
    let brand = read.label ? read.label.brand : null;
    // On Instagram and TikTok the label names the brand's account: write it as captions do.
    if (brand && found.platform !== 'youtube' && /^[A-Za-z0-9._]+$/.test(brand)) brand = `@${brand}`;
    return {
      platform: found.platform,
      format: found.format,
      text: read.text,
      platform_label: platformLabel,
      label_text: read.label ? read.label.label : null,
      brand,
      url: String(url),
    };
  }

  root.AuditorPlatforms = Object.freeze({
    detect, platformOfHost, matchPaidLabel, cleanCaption, captionFromInstagramMeta, extract,
  });
}(globalThis));
