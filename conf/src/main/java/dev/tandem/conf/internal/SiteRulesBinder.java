package dev.tandem.conf.internal;

import dev.tandem.conf.AccessRules;
import dev.tandem.conf.Cidr;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.ErrorPages;
import dev.tandem.conf.Maintenance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code error_pages}, {@code maintenance} and {@code access}: the rules a site (and, later, a route) applies
 * before a request is served. Each reader takes the mapping that holds its key, so a site and a route bind
 * them alike; each returns its "nothing configured" value when the key is absent, and empty when what is
 * written is wrong (after reporting it).
 */
final class SiteRulesBinder {

    /** The keys these rules add to a site's (or a route's) mapping. */
    static final List<String> KEYS = List.of("error_pages", "maintenance", "access");

    private static final String CIDR = "an address or network such as 10.0.0.0/8 or 2001:db8::/32";
    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\\s*;\\s*[A-Za-z0-9!#$&^_.+-]+=(\"[^\"\\p{Cntrl}]*\"|[A-Za-z0-9!#$&^_.+-]+))*");

    private SiteRulesBinder() {
    }

    /** {@code error_pages: {404: FILE, 503: {file | body, type, upstream}}}. */
    static Optional<ErrorPages> errorPages(YamlObject owner) {
        YamlValue value = owner.get("error_pages");
        if (!value.isPresent()) {
            return Optional.of(ErrorPages.NONE);
        }
        Optional<Map<String, YamlValue>> entries = value.entries(
                "a mapping of status to page, e.g. {404: /var/www/errors/404.html}");
        if (entries.isEmpty()) {
            return Optional.empty();
        }
        Map<Integer, ErrorPages.Page> pages = new LinkedHashMap<>();
        boolean ok = true;
        for (Map.Entry<String, YamlValue> e : entries.get().entrySet()) {
            YamlValue pageValue = e.getValue();
            Integer status = status(e.getKey());
            if (status == null) {
                pageValue.report("status '" + e.getKey() + "' (expected: an error status from 400 to 599)");
                ok = false;
                continue;
            }
            Optional<ErrorPages.Page> page = page(pageValue);
            page.ifPresent(p -> pages.put(status, p));
            ok &= page.isPresent();
        }
        return ok ? Optional.of(new ErrorPages(pages)) : Optional.empty();
    }

    private static Integer status(String key) {
        try {
            int s = Integer.parseInt(key.trim());
            return s >= 400 && s <= 599 ? s : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Optional<ErrorPages.Page> page(YamlValue value) {
        if (!value.isMapping()) {
            return value.required("a page file, or {file | body, type, upstream}").file().map(ErrorPages.Page::file);
        }
        return value.object("file", "body", "type", "upstream").flatMap(o -> {
            YamlValue fileValue = o.get("file");
            YamlValue bodyValue = o.get("body");
            if (fileValue.isPresent() == bodyValue.isPresent()) {
                o.report("a page needs one of file or body (expected: {file: /var/www/errors/503.html}"
                        + " or {body: '<h1>Back soon</h1>'})");
                return Optional.empty();
            }
            Optional<Path> file = fileValue.file();
            Optional<String> body = bodyValue.string("the page's text");
            if (body.isPresent() && body.get().length() > ErrorPages.MAX_PAGE_BYTES) {
                bodyValue.fail("a page of at most 1m");
                return Optional.empty();
            }
            YamlValue typeValue = o.get("type");
            Optional<String> type = typeValue.as("a media type such as text/html; charset=utf-8", SiteRulesBinder::mediaType);
            Optional<Boolean> upstream = o.get("upstream").bool();
            if (file.isEmpty() && body.isEmpty() || typeValue.isPresent() && type.isEmpty()
                    || o.get("upstream").isPresent() && upstream.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new ErrorPages.Page(file, body, type.orElse(ErrorPages.Page.HTML), upstream.orElse(false)));
        });
    }

    private static String mediaType(String text) {
        String t = text.trim();
        if (!MEDIA_TYPE.matcher(t).matches()) {
            throw new IllegalArgumentException(text + " (expected: a media type such as text/html; charset=utf-8)");
        }
        return t;
    }

    /** {@code maintenance: {enabled, page, allow, retry_after}}. */
    static Optional<Maintenance> maintenance(YamlObject owner) {
        YamlValue value = owner.get("maintenance");
        if (!value.isPresent()) {
            return Optional.of(Maintenance.OFF);
        }
        return value.object("enabled", "page", "allow", "retry_after").flatMap(o -> {
            YamlValue enabledValue = o.get("enabled");
            Optional<Boolean> enabled = enabledValue.bool();
            YamlValue pageValue = o.get("page");
            Optional<Path> page = pageValue.file();
            Optional<List<Cidr>> allow = cidrs(o.get("allow"));
            YamlValue retryValue = o.get("retry_after");
            Optional<Duration> retry = retryValue.duration(Duration.ofSeconds(1));
            if (enabledValue.isPresent() && enabled.isEmpty() || pageValue.isPresent() && page.isEmpty()
                    || allow.isEmpty() || retryValue.isPresent() && retry.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Maintenance(enabled.orElse(false), page, allow.get(),
                    retry.orElse(Defaults.MAINTENANCE_RETRY_AFTER)));
        });
    }

    /** {@code access: {allow, deny, basic_auth: {realm, htpasswd}}}. */
    static Optional<AccessRules> access(YamlObject owner) {
        YamlValue value = owner.get("access");
        if (!value.isPresent()) {
            return Optional.of(AccessRules.OPEN);
        }
        return value.object("allow", "deny", "basic_auth").flatMap(o -> {
            YamlValue allowValue = o.get("allow");
            Optional<List<Cidr>> allow = cidrs(allowValue);
            Optional<List<Cidr>> deny = cidrs(o.get("deny"));
            if (allow.isPresent() && allowValue.isPresent() && allow.get().isEmpty()) {
                // An empty allow list would refuse everyone: more likely a mistake than a wish.
                allowValue.fail("at least one address or network; to refuse everyone, deny: [0.0.0.0/0, ::/0]");
                return Optional.empty();
            }
            YamlValue authValue = o.get("basic_auth");
            Optional<Optional<AccessRules.BasicAuth>> auth = authValue.isPresent()
                    ? authValue.object("realm", "htpasswd").flatMap(SiteRulesBinder::basicAuth).map(Optional::of)
                    : Optional.of(Optional.empty());
            if (allow.isEmpty() || deny.isEmpty() || auth.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new AccessRules(allow.get(), deny.get(), auth.get()));
        });
    }

    private static Optional<AccessRules.BasicAuth> basicAuth(YamlObject o) {
        Optional<Path> file = o.get("htpasswd").required("an htpasswd file of bcrypt entries (htpasswd -B)").file();
        YamlValue realmValue = o.get("realm");
        Optional<String> realm = realmValue.as("a realm of printable characters without quotes or backslashes",
                SiteRulesBinder::realm);
        if (file.isEmpty() || realmValue.isPresent() && realm.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new AccessRules.BasicAuth(realm.orElse(Defaults.BASIC_AUTH_REALM), file.get()));
    }

    /** The realm goes into a quoted-string of WWW-Authenticate: nothing that would end it or forge a header. */
    private static String realm(String text) {
        if (text.isEmpty() || text.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c > 0x7e || c == '"' || c == '\\')) {
            throw new IllegalArgumentException(text
                    + " (expected: a realm of printable ASCII characters without quotes or backslashes)");
        }
        return text;
    }

    /** A list of CIDRs, empty when absent; empty Optional when one is wrong. */
    private static Optional<List<Cidr>> cidrs(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(List.of());
        }
        Optional<List<YamlValue>> items = value.list("a list of addresses or networks, e.g. [10.0.0.0/8]");
        if (items.isEmpty()) {
            return Optional.empty();
        }
        List<Cidr> out = new ArrayList<>();
        boolean ok = true;
        for (YamlValue item : items.get()) {
            Optional<Cidr> c = item.as(CIDR, Cidr::parse);
            c.ifPresent(out::add);
            ok &= c.isPresent();
        }
        return ok ? Optional.of(out) : Optional.empty();
    }
}
