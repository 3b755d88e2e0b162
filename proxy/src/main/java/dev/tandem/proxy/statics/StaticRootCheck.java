package dev.tandem.proxy.statics;

import dev.tandem.conf.ConfigCheck;
import dev.tandem.conf.ConfigError;
import dev.tandem.conf.RouteConfig;
import dev.tandem.conf.SiteConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.conf.StaticConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Each {@code static.root} must be a directory Tandem can read. A root that is missing or mistyped would
 * not stop the proxy (every request would simply fall back or get a 404), which is exactly why it is
 * better caught by {@code tandem check} and refused on reload than found out from the traffic.
 */
public final class StaticRootCheck implements ConfigCheck {

    @Override
    public List<ConfigError> check(Snapshot snapshot) {
        List<ConfigError> errors = new ArrayList<>();
        List<SiteConfig> sites = snapshot.config().sites();
        for (int i = 0; i < sites.size(); i++) {
            String site = "sites[" + i + "]";
            sites.get(i).staticFiles().ifPresent(st -> checkRoot(snapshot, st, site + ".static.root", errors));
            List<RouteConfig> routes = sites.get(i).routes();
            for (int j = 0; j < routes.size(); j++) {
                String path = site + ".routes[" + j + "].static.root";
                routes.get(j).staticFiles().ifPresent(st -> checkRoot(snapshot, st, path, errors));
            }
        }
        return errors;
    }

    private static void checkRoot(Snapshot snapshot, StaticConfig st, String path, List<ConfigError> errors) {
        Path root = st.root();
        String problem = !Files.exists(root) ? "does not exist"
                : !Files.isDirectory(root) ? "is not a directory"
                : !Files.isReadable(root) || !Files.isExecutable(root) ? "cannot be read by this user"
                : null;
        if (problem != null) {
            errors.add(snapshot.sources().error(path, path + ": '" + root + "' " + problem
                    + " (expected: a directory of files to serve)"));
        }
    }
}
