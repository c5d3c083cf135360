# A thin wrapper over the CMake presets in CMakePresets.json.
#   make run    install what is missing, build the release, count examples/
#   make test   install what is missing, build with -Werror, run every test
# Other targets: asan, tsan, fuzz, bench, format, clean.
.PHONY: deps release run test asan tsan fuzz bench format clean

HEADCOUNT := build/release/shell/headcount
EXAMPLE_ARGS := \
	--verified-domains @examples/verified-domains.txt \
	--ghes ghe-1.corp.example=examples/ghe-1.all_users.csv \
	--ghes ghe-2.corp.example=examples/ghe-2.all_users.csv \
	--ghes examples/ghe-3.json \
	--ghec examples/consumed-licenses.json

deps:
	@.ci/deps

release: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release >/dev/null

run: release
	@$(HEADCOUNT) count $(EXAMPLE_ARGS)

test: deps
	cmake --preset dev
	cmake --build --preset dev
	ctest --preset dev

asan: deps
	cmake --preset asan
	cmake --build --preset asan
	ctest --preset asan

tsan: deps
	cmake --preset tsan
	cmake --build --preset tsan
	ctest --preset tsan

fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz

bench: deps
	cmake --preset bench
	cmake --build --preset bench
	bench/run.sh build/bench

format:
	git ls-files '*.c' '*.h' '*.cpp' | xargs clang-format -i

clean:
	rm -rf build
