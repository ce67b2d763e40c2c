package assokit_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"assokit"
	"assokit/internal/appapi"
)

// No Docker daemon runs where the tests run: these tests read the Dockerfile
// and check what AppAPI and HaRP need of the image (reference/appapi.md,
// 2.2–2.3; nextcloud/HaRP exapps_dev/start.sh), and run the entrypoint
// script with a stand-in frpc.

// finalStage returns the lines of the Dockerfile's last stage, with
// continuation lines joined.
func finalStage(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.ReplaceAll(string(b), "\\\n", " ")
	var stage []string
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "FROM ") {
			stage = nil
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			stage = append(stage, line)
		}
	}
	return stage
}

type dockerInstall struct {
	ID       string `xml:"id"`
	Version  string `xml:"version"`
	Registry string `xml:"external-app>docker-install>registry"`
	Image    string `xml:"external-app>docker-install>image"`
	Tag      string `xml:"external-app>docker-install>image-tag"`
}

func TestDockerfile(t *testing.T) {
	stage := finalStage(t)
	all, _ := os.ReadFile("Dockerfile")
	var info dockerInstall
	if err := xml.Unmarshal(assokit.InfoXML, &info); err != nil {
		t.Fatal(err)
	}
	dataDir := "/nc_app_" + info.ID + "_data" // DockerActions::buildDefaultExAppVolume
	find := func(prefix string) []string {
		var out []string
		for _, l := range stage {
			if strings.HasPrefix(l, prefix) {
				out = append(out, l)
			}
		}
		return out
	}

	t.Run("runs as a non-root user", func(t *testing.T) {
		users := find("USER ")
		if len(users) == 0 {
			t.Fatal("the final stage sets no USER: the image runs as root")
		}
		user := strings.TrimSpace(strings.TrimPrefix(users[len(users)-1], "USER "))
		if user == "root" || user == "0" || strings.HasPrefix(user, "0:") {
			t.Fatalf("USER %s", user)
		}
		if !strings.Contains(strings.Join(find("RUN "), " "), "useradd") {
			t.Error("the user is not created in the final stage")
		}
	})
	t.Run("data folder writable", func(t *testing.T) {
		run := strings.Join(find("RUN "), " ")
		if !regexp.MustCompile(`chown \S*assokit\S* [^&]*` + regexp.QuoteMeta(dataDir)).MatchString(run) {
			t.Errorf("%s is not owned by the image's user", dataDir)
		}
		if !strings.Contains(strings.Join(find("ENV "), " "), "APP_PERSISTENT_STORAGE="+dataDir) {
			t.Errorf("APP_PERSISTENT_STORAGE does not default to %s", dataDir)
		}
	})
	t.Run("frpc built from its Go module", func(t *testing.T) {
		if !regexp.MustCompile(`go build [^\n]*github.com/fatedier/frp/cmd/frpc`).Match(all) {
			t.Error("no stage builds github.com/fatedier/frp/cmd/frpc")
		}
		copies := strings.Join(find("COPY "), " ")
		if !strings.Contains(copies, "frpc") || !strings.Contains(copies, "/usr/local/bin/") {
			t.Error("frpc is not copied into the final image's PATH")
		}
	})
	t.Run("entrypoint starts frpc under HaRP", func(t *testing.T) {
		entry := find("ENTRYPOINT ")
		if len(entry) != 1 || !strings.Contains(entry[0], "start.sh") {
			t.Fatalf("ENTRYPOINT = %v, want start.sh", entry)
		}
		if !strings.Contains(strings.Join(find("COPY "), " "), "docker/start.sh") {
			t.Error("docker/start.sh is not copied into the image")
		}
		if cmd := find("CMD "); len(cmd) != 1 || !strings.Contains(cmd[0], "assokit") {
			t.Errorf("CMD = %v, want assokit", cmd)
		}
	})
	t.Run("healthcheck", func(t *testing.T) {
		hc := find("HEALTHCHECK ")
		if len(hc) != 1 || !strings.Contains(hc[0], `"assokit", "healthcheck"`) && !strings.Contains(hc[0], `assokit", "healthcheck"`) {
			t.Errorf("HEALTHCHECK = %v, want assokit healthcheck", hc)
		}
	})
	t.Run("built like make build", func(t *testing.T) {
		mk, _ := os.ReadFile("Makefile")
		m := regexp.MustCompile(`(?m)^PROD_FLAGS\s*:=\s*(.+)$`).FindSubmatch(mk)
		c := regexp.MustCompile(`(?m)^PROD_CFLAGS\s*:=\s*(.+)$`).FindSubmatch(mk)
		if m == nil || c == nil || !regexp.MustCompile(`CGO_CFLAGS="`+regexp.QuoteMeta(string(c[1]))+`" go build `+
			regexp.QuoteMeta(string(m[1]))+` -o \S+ ./cmd/assokit`).Match(all) {
			t.Errorf("the Dockerfile does not build ./cmd/assokit with the Makefile's PROD_FLAGS %q and PROD_CFLAGS %q", m, c)
		}
	})
	t.Run("dockerignore", func(t *testing.T) {
		b, err := os.ReadFile(".dockerignore")
		if err != nil || !strings.Contains(string(b), "node_modules") {
			t.Error(".dockerignore does not keep node_modules out of the build context")
		}
	})
}

// TestInfoXMLImageDefaults checks that the committed info.xml is what
// `make info-xml` writes with the Makefile's default REGISTRY, IMAGE and
// IMAGE_TAG (the version).
func TestInfoXMLImageDefaults(t *testing.T) {
	var info dockerInstall
	if err := xml.Unmarshal(assokit.InfoXML, &info); err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	def := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s*\?=\s*(\S+)\s*$`).FindSubmatch(mk)
		if m == nil {
			t.Fatalf("the Makefile sets no default %s", name)
		}
		return string(m[1])
	}
	if r := def("REGISTRY"); r != info.Registry {
		t.Errorf("REGISTRY ?= %s, info.xml has %s", r, info.Registry)
	}
	if i := def("IMAGE"); i != info.Image {
		t.Errorf("IMAGE ?= %s, info.xml has %s", i, info.Image)
	}
	if def("IMAGE_TAG") != "$(VERSION)" || info.Tag != info.Version {
		t.Errorf("image tag %s, version %s: the default tag is the version", info.Tag, info.Version)
	}
}

// TestStartScript runs docker/start.sh with a stand-in frpc that copies its
// configuration, and checks the tunnel HaRP expects: the shared key as
// token, APP_PORT as remote port, AssoKit's unix socket as the local end.
func TestStartScript(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   []string
		frpc  bool
		wants []string
	}{
		{"HaRP", []string{"HP_SHARED_KEY=k\"ey\\1", "HP_FRP_ADDRESS=appapi-harp", "HP_FRP_PORT=8782", "APP_ID=assokit", "APP_PORT=23001"}, true, []string{
			`serverAddr = "appapi-harp"`, `serverPort = 8782`, `loginFailExit = false`, `transport.tls.enable = false`,
			`metadatas.token = "k\"ey\\1"`, `name = "assokit"`, `remotePort = 23001`,
			`type = "unix_domain_socket"`, `unixPath = "` + appapi.HaRPSocket + `"`}},
		{"Docker Socket Proxy", []string{"APP_ID=assokit", "APP_PORT=23001"}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTo := filepath.Join(dir, "seen.toml")
			fake := "#!/bin/sh\n[ \"$1\" = -c ] && cp \"$2\" " + copyTo + "\n"
			if err := os.WriteFile(filepath.Join(dir, "frpc"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			// The command start.sh execs waits for frpc's copy (or not).
			wait := "echo started"
			if tc.frpc {
				wait = "i=0; while [ ! -f " + copyTo + " ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; " + wait
			}
			cmd := exec.Command("sh", "docker/start.sh", "sh", "-c", wait)
			cmd.Env = append([]string{"PATH=" + dir + ":/usr/bin:/bin", "TMPDIR=" + dir}, tc.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil || !strings.Contains(out.String(), "started") {
					t.Fatalf("start.sh: %v\n%s", err, out.String())
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("start.sh did not exec its command")
			}
			conf, err := os.ReadFile(copyTo)
			if !tc.frpc {
				if err == nil {
					t.Errorf("frpc started without HP_SHARED_KEY:\n%s", conf)
				}
				return
			}
			if err != nil {
				t.Fatalf("frpc was not started: %v\n%s", err, out.String())
			}
			for _, w := range tc.wants {
				if !strings.Contains(string(conf), w+"\n") {
					t.Errorf("frpc.toml lacks %s:\n%s", w, conf)
				}
			}
			if st, err := os.Stat(filepath.Join(dir, "frpc.toml")); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("frpc.toml mode = %v, %v; want 0600 (it holds the shared key)", st.Mode(), err)
			}
		})
	}
}
