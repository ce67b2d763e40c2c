// Package appapi is what Nextcloud's AppAPI says to AssoKit: the deploy
// configuration it passes in the environment, the authentication of its
// requests, and the lifecycle (/init, /enabled) with the list of what AssoKit
// registers in Nextcloud. It does not import echo.
package appapi

import (
	"fmt"
	"strconv"
	"strings"
)

// HaRPSocket is where AssoKit listens when deployed behind HaRP.
const HaRPSocket = "/tmp/exapp.sock"

// Config is the deploy configuration AppAPI gives an ExApp.
type Config struct {
	AppID        string
	AppSecret    string
	AppVersion   string
	AppHost      string
	AppPort      int
	NextcloudURL string // without a trailing /index.php or /
	StorageDir   string // APP_PERSISTENT_STORAGE
	AAVersion    string
	HaRP         bool // HP_SHARED_KEY is set: listen on HaRPSocket
	Provisioned  Provisioned
}

// FromEnv reads the configuration through getenv (os.Getenv in main). It
// returns an error naming every missing or malformed variable.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		AppID:        getenv("APP_ID"),
		AppSecret:    getenv("APP_SECRET"),
		AppVersion:   getenv("APP_VERSION"),
		AppHost:      getenv("APP_HOST"),
		NextcloudURL: getenv("NEXTCLOUD_URL"),
		StorageDir:   getenv("APP_PERSISTENT_STORAGE"),
		AAVersion:    getenv("AA_VERSION"),
		HaRP:         getenv("HP_SHARED_KEY") != "",
		Provisioned:  ProvisionedFromEnv(getenv),
	}
	var missing, bad []string
	for _, v := range []struct{ name, value string }{
		{"APP_ID", c.AppID}, {"APP_SECRET", c.AppSecret}, {"APP_VERSION", c.AppVersion},
		{"NEXTCLOUD_URL", c.NextcloudURL}, {"APP_PERSISTENT_STORAGE", c.StorageDir},
	} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	port := getenv("APP_PORT")
	switch p, err := strconv.Atoi(port); {
	case port == "" && !c.HaRP:
		missing = append(missing, "APP_PORT")
	case port != "" && (err != nil || p < 0 || p > 65535):
		bad = append(bad, "APP_PORT")
	default:
		c.AppPort = p
	}
	if c.AppHost == "" {
		c.AppHost = "127.0.0.1"
	}
	c.NextcloudURL = strings.TrimSuffix(strings.TrimSuffix(c.NextcloudURL, "/"), "/index.php")
	c.NextcloudURL = strings.TrimSuffix(c.NextcloudURL, "/")
	if c.NextcloudURL != "" && !strings.HasPrefix(c.NextcloudURL, "http://") && !strings.HasPrefix(c.NextcloudURL, "https://") {
		bad = append(bad, "NEXTCLOUD_URL")
	}
	switch {
	case len(missing) > 0 && len(bad) > 0:
		return c, fmt.Errorf("missing environment variables %s; malformed %s", strings.Join(missing, ", "), strings.Join(bad, ", "))
	case len(missing) > 0:
		return c, fmt.Errorf("missing environment variable(s) %s", strings.Join(missing, ", "))
	case len(bad) > 0:
		return c, fmt.Errorf("malformed environment variable(s) %s", strings.Join(bad, ", "))
	}
	return c, nil
}

// ListenAddr returns the network and address to listen on.
func (c Config) ListenAddr() (network, addr string) {
	if c.HaRP {
		return "unix", HaRPSocket
	}
	return "tcp", c.AppHost + ":" + strconv.Itoa(c.AppPort)
}
