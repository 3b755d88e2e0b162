package dev.tandem.proxy.guard;

import dev.tandem.conf.AccessRules;
import dev.tandem.conf.ConfigCheck;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ErrorPages;
import dev.tandem.conf.RouteConfig;
import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files a site's rules name: each error and maintenance page must be a readable file of at most 1m, and
 * each htpasswd file readable with nothing but bcrypt entries. A missing page would only show as Tandem's
 * built-in page, and an htpasswd file with an MD5 entry would lock that user out without a word: both are
 * better caught by {@code tandem check} and refused on reload.
 */
public final class SiteRulesCheck implements ConfigCheck {

    @Override
    public List<ConfigError> check(Snapshot snapshot) {
        List<ConfigError> errors = new ArrayList<>();
        List<SiteConfig> sites = snapshot.config().sites();
        for (int i = 0; i < sites.size(); i++) {
            SiteConfig site = sites.get(i);
            String at = "sites[" + i + "]";
            pagesAndAuth(snapshot, errors, at, site.errorPages(), site.access());
            site.maintenance().page().ifPresent(file -> page(snapshot, errors, at + ".maintenance.page", file));
            for (int r = 0; r < site.routes().size(); r++) {
                RouteConfig route = site.routes().get(r);
                pagesAndAuth(snapshot, errors, at + ".routes[" + r + "]", route.errorPages(), route.access());
            }
        }
        return errors;
    }

    /** The page files and the htpasswd file of a site's or a route's block at {@code at}. */
    private static void pagesAndAuth(Snapshot snapshot, List<ConfigError> errors, String at, ErrorPages pages,
                                     AccessRules access) {
        for (Map.Entry<Integer, ErrorPages.Page> p : pages.pages().entrySet()) {
            if (p.getValue().file().isPresent()) {
                String path = at + ".error_pages." + p.getKey();
                page(snapshot, errors, path, p.getValue().file().get());
            }
        }
        access.basicAuth().ifPresent(b -> {
            String path = at + ".access.basic_auth.htpasswd";
            for (String problem : htpasswdProblems(b.htpasswd())) {
                errors.add(snapshot.sources().error(path, path + ": '" + b.htpasswd() + "' " + problem));
            }
        });
    }

    @Override
    public List<ConfigError> warnings(Snapshot snapshot) {
        List<ConfigError> warnings = new ArrayList<>();
        List<SiteConfig> sites = snapshot.config().sites();
        for (int i = 0; i < sites.size(); i++) {
            noUsers(snapshot, warnings, "sites[" + i + "]", sites.get(i).access(), "site");
            List<RouteConfig> routes = sites.get(i).routes();
            for (int r = 0; r < routes.size(); r++) {
                noUsers(snapshot, warnings, "sites[" + i + "].routes[" + r + "]", routes.get(r).access(), "route");
            }
        }
        return warnings;
    }

    private static void noUsers(Snapshot snapshot, List<ConfigError> warnings, String at, AccessRules access,
                                String what) {
        String path = at + ".access.basic_auth.htpasswd";
        access.basicAuth().ifPresent(b -> {
            Htpasswd h = read(b.htpasswd());
            if (h != null && h.users() == 0) {
                warnings.add(snapshot.sources().error(path, path + ": '" + b.htpasswd()
                        + "' has no user: every request to the " + what + " is answered 401"));
            }
        });
    }

    private static void page(Snapshot snapshot, List<ConfigError> errors, String path, Path file) {
        String problem = !Files.exists(file) ? "does not exist"
                : !Files.isRegularFile(file) ? "is not a file"
                : !Files.isReadable(file) ? "cannot be read by this user"
                : null;
        if (problem == null) {
            try {
                if (Files.size(file) > ErrorPages.MAX_PAGE_BYTES) {
                    problem = "is larger than 1m";
                }
            } catch (IOException e) {
                problem = "cannot be read: " + e.getMessage();
            }
        }
        if (problem != null) {
            errors.add(snapshot.sources().error(path, path + ": '" + file + "' " + problem
                    + " (expected: a page file of at most 1m)"));
        }
    }

    /** What is wrong with the htpasswd file at {@code file}: empty when it is readable and all bcrypt. */
    static List<String> htpasswdProblems(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of(Files.exists(file) ? "is not a file (expected: an htpasswd file of bcrypt entries)"
                    : "does not exist (expected: an htpasswd file of bcrypt entries, made with htpasswd -B)");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of("cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        return Htpasswd.parse(lines).problems();
    }

    private static Htpasswd read(Path file) {
        try {
            return Htpasswd.parse(Files.readAllLines(file, StandardCharsets.UTF_8)).htpasswd();
        } catch (IOException e) {
            return null;
        }
    }
}
