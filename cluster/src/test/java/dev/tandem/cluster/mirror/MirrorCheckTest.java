package dev.tandem.cluster.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MirrorCheckTest {

    private static List<String> check(Path dir, String stateDir) throws Exception {
        String yaml = """
                listeners: [{name: http, bind: ":80"}]
                cluster:
                  nodes: {a: 10.0.0.1}
                  secret_file: k
                  mirror:
                    paths: [www]
                    state_dir: %s
                """.formatted(stateDir);
        return new MirrorCheck().check(ConfigLoader.fromBytes(dir.resolve("t.yaml").toString(), yaml.getBytes(), dir, 1))
                .stream().map(ConfigError::toString).toList();
    }

    @Test
    void theStateDirectoryMustBeWritableOrMakeable(@TempDir Path dir) throws Exception {
        assertEquals(List.of(), check(dir, "state"), "to be made in a writable directory");
        Files.createDirectories(dir.resolve("made"));
        assertEquals(List.of(), check(dir, "made"));
        Files.writeString(dir.resolve("file"), "x");
        List<String> errors = check(dir, "file");
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).startsWith(dir.resolve("t.yaml") + ":7:16: cluster.mirror.state_dir: "), errors.toString());
        assertTrue(errors.get(0).endsWith(": not a directory"), errors.toString());
        assertTrue(check(dir, "file/below").get(0).endsWith("cannot be made: " + dir.resolve("file") + " is not a directory"));
        assertTrue(Files.notExists(dir.resolve("state")), "tandem check makes nothing");
    }
}
