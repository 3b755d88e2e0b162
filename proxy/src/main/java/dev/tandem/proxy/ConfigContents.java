package dev.tandem.proxy;

import dev.tandem.conf.Config;
import dev.tandem.conf.ServerConfig;
import dev.tandem.conf.StaticConfig;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.proxy.upstream.ServerKey;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * What a config refers to that outlives a config (servers with their health and counters, static file caches,
 * htpasswd files), so that a reload keeps those it still refers to and lets the rest go. Pure.
 */
final class ConfigContents {

    private ConfigContents() {
    }

    /** Every server of every upstream. */
    static Set<ServerKey> servers(Config c) {
        Set<ServerKey> live = new HashSet<>();
        for (UpstreamConfig u : c.upstreams().values()) {
            for (ServerConfig s : u.servers()) {
                live.add(new ServerKey(u.name(), s.address()));
            }
        }
        return live;
    }

    /** The static files of every site and route. */
    static Set<StaticConfig> staticFiles(Config c) {
        Set<StaticConfig> liveFiles = new HashSet<>();
        c.sites().forEach(s -> {
            s.staticFiles().ifPresent(liveFiles::add);
            s.routes().forEach(r -> r.staticFiles().ifPresent(liveFiles::add));
        });
        return liveFiles;
    }

    /** The htpasswd files of every site's and route's basic auth. */
    static Set<Path> htpasswdFiles(Config c) {
        Set<Path> htpasswdFiles = new HashSet<>();
        c.sites().forEach(s -> {
            s.access().basicAuth().ifPresent(b -> htpasswdFiles.add(b.htpasswd()));
            s.routes().forEach(r -> r.access().basicAuth().ifPresent(b -> htpasswdFiles.add(b.htpasswd())));
        });
        return htpasswdFiles;
    }
}
