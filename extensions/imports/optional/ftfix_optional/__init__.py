"""Pure package that imports fine; its submodules fail in the ways real packages' do."""
